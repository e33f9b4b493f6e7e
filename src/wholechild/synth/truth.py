"""The ground truth: which true child every source record is, and who the children are.

Written to ``out_dir/truth/``, a subfolder, so that ingesting ``out_dir`` ignores it.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from wholechild.synth.errors import ERROR_RATES, ErrorRates
from wholechild.synth.model import ADVERSITIES, CHILD_NEEDS, Population

RECORDS_HEADER = ("file", "row", "source_key", "child_id", "corruptions")


@contextmanager
def csv_out(path: Path, header: tuple[str, ...] | list[str]) -> Iterator[Any]:
    """A CSV writer on a new file (LF line ends, as the sample extracts have), header written."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        yield writer


class TruthLog:
    """Streams ``records.csv``: one line per source record, and counts rows per file."""

    def __init__(self, handle: IO[str]) -> None:
        self._writer = csv.writer(handle, lineterminator="\n")
        self._writer.writerow(RECORDS_HEADER)
        self.rows: Counter[str] = Counter()

    def add(self, file: str, key: str, child_id: str, corruptions: str = "") -> None:
        self.rows[file] += 1
        self._writer.writerow((file, self.rows[file], key, child_id, corruptions))


def write_children(path: Path, population: Population) -> None:
    risk_names = (*ADVERSITIES, *CHILD_NEEDS)
    header = (
        "child_id", "household_id", "forename", "middle_names", "surname", "former_surname",
        "surname_changed", "name_change_reason", "known_as", "sex", "dob", "ethnicity",
        "community", "nhs_number", "upn", "former_upn", "uln", "la_child_id", "twin_of",
        "sen_provision", "sen_need",
        *(f"p_{name}" for name in risk_names), *(f"has_{name}" for name in risk_names),
    )  # fmt: skip
    with csv_out(path, header) as writer:
        for c in population.children:
            held = c.circumstances
            writer.writerow((
                c.child_id, c.household.household_id, c.forename, c.middle_names, c.surname,
                c.former_surname, c.surname_changed or "", c.name_change_reason, c.known_as,
                c.sex, c.dob, c.ethnicity, c.household.community, c.nhs_number, c.upn,
                c.former_upn, c.uln, c.la_child_id, c.twin_of, c.sen_provision, c.sen_need,
                *(f"{c.risks[name]:.4f}" for name in risk_names),
                *(int(name in held) for name in risk_names),
            ))  # fmt: skip


def write_households(path: Path, population: Population) -> None:
    header = ("household_id", "community", "surname", "address_line", "postcode", "moved_in",
              "address_order", *(f"has_{name}" for name in ADVERSITIES))  # fmt: skip
    with csv_out(path, header) as writer:
        for h in population.households:
            flags = [int(name in h.adversities) for name in ADVERSITIES]
            for order, address in enumerate(h.addresses, start=1):
                writer.writerow((h.household_id, h.community, h.surname, address.line,
                                 address.postcode, address.moved_in, order, *flags))  # fmt: skip


def error_rates_markdown() -> str:
    """The documented error rates as a Markdown table, with the reason for each agency's."""
    fields = [name for name in ErrorRates.__dataclass_fields__ if name != "why"]
    lines = [
        "# Error rates in the synthetic extracts",
        "",
        "Probabilities per record. `forename_variant` is conditional on the name having a "
        "known variant; `stale_surname` on the surname having changed; `stale_address` on the "
        "household having moved within three years of the record. Each corruption applied is "
        "listed per record in `records.csv` (column `corruptions`). Police records also carry "
        "`carer_surname` (about 30% of children whose surname differs from the household's are "
        "recorded under the adult's surname).",
        "",
        "| agency | " + " | ".join(fields) + " |",
        "|---" * (len(fields) + 1) + "|",
    ]
    for agency, rates in ERROR_RATES.items():
        lines.append(f"| {agency} | " + " | ".join(f"{getattr(rates, f):g}" for f in fields) + " |")
    lines += ["", "## Why these rates", ""]
    lines += [f"- **{agency}**: {rates.why}" for agency, rates in ERROR_RATES.items()]
    return "\n".join(lines) + "\n"
