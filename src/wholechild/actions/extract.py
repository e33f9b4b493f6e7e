"""``wholechild extract``: the pseudonymised analytical extract for the data team.

Reads unsealed source records and their events, builds rows with
``wholechild.governance.extract`` (only the purpose's fields; pseudonyms, months, districts),
and writes CSV files, a ``README.md`` data dictionary and a ``manifest.json`` into a new
folder. The files are written to a temporary folder first and moved into place only after the
audit entry (counts, fields, key id) has committed: no audit, no extract.
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, select

from wholechild.actions.audit import record_audit
from wholechild.core.access import category_of
from wholechild.core.disclosure import SUPPRESSED_MARK, SuppressedTable, suppression_note
from wholechild.errors import UserError
from wholechild.governance.extract import (
    CHILD_FILE,
    EVENT_FILE,
    FIELDS,
    PURPOSES,
    ChildFacts,
    EventFacts,
    ExtractSpec,
    child_row,
    event_row,
    summary_table,
)
from wholechild.governance.pseudonyms import Pseudonymiser
from wholechild.linkage.truth import record_id_hex
from wholechild.storage.schema import DataSharingAgreement, Event, IngestBatch, SourceRecord

__all__ = ["ExtractManifest", "write_extract"]

log = logging.getLogger(__name__)
SUMMARY_FILE: Final = "summary.csv"


@dataclass(frozen=True, slots=True)
class ExtractManifest:
    purpose: str
    out_dir: Path
    rows: dict[str, int]
    key_id: str
    generated_at: datetime
    # Records and events left out: sealed, or a partner's data whose agreement does not list
    # the purpose ({"records_sealed": n, "records_agreement": n, "events": n}).
    left_out: dict[str, int] = field(default_factory=dict)


def _spec(purpose: str) -> ExtractSpec:
    if purpose not in PURPOSES:
        raise UserError(
            f"no extract is defined for the purpose {purpose!r}",
            fix=f"use one of: {', '.join(sorted(PURPOSES))}",
        )
    return PURPOSES[purpose]


def _subject(person_id: int | None, record_id: Any) -> str:
    return f"person:{person_id}" if person_id is not None else f"record:{record_id_hex(record_id)}"


@dataclass
class _Scope:
    """Which records the extract may use: unsealed, and (for a partner's data) arrived under
    an agreement whose purposes include the extract's purpose (purpose limitation)."""

    purpose: str
    agreement_purposes: dict[str, tuple[str, ...]]
    subjects: dict[Any, str] = field(default_factory=dict)  # record id -> subject, if used
    by_key: dict[tuple[str, str], str | None] = field(default_factory=dict)
    left_out: Counter[str] = field(default_factory=Counter)

    def allowed(self, agreement_ref: str | None) -> bool:
        if agreement_ref is None:  # the council's own systems: no agreement needed
            return True
        return self.purpose in self.agreement_purposes.get(agreement_ref, ())


def _scope(conn: Connection, purpose: str) -> _Scope:
    rows = conn.execute(select(DataSharingAgreement.ref, DataSharingAgreement.purposes))
    return _Scope(purpose, {ref: tuple(purposes or ()) for ref, purposes in rows})


def _children(conn: Connection, scope: _Scope) -> list[ChildFacts]:
    """Each child's values from the records the extract may use (noting each one's subject)."""
    rows = conn.execute(
        select(
            SourceRecord.id, SourceRecord.person_id, SourceRecord.date_of_birth, SourceRecord.sex,
            SourceRecord.ethnicity, SourceRecord.upn, SourceRecord.postcode,
            SourceRecord.ingested_at, SourceRecord.sealed, SourceRecord.source_system,
            SourceRecord.source_key, IngestBatch.agreement_ref,
        ).join(IngestBatch, IngestBatch.id == SourceRecord.batch_id)
    ).all()  # fmt: skip
    grouped: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        why = "sealed" if r.sealed else None if scope.allowed(r.agreement_ref) else "agreement"
        subject = None if why else _subject(r.person_id, r.id)
        if r.source_key:
            scope.by_key[(r.source_system, r.source_key)] = subject
        if subject is None:
            scope.left_out[f"records_{why}"] += 1
            continue
        scope.subjects[r.id] = subject
        grouped[subject].append(r)
    return [_child(subject, records) for subject, records in sorted(grouped.items())]


def _child(subject: str, records: Sequence[Any]) -> ChildFacts:
    with_postcode = sorted((r for r in records if r.postcode), key=lambda r: r.ingested_at)
    return ChildFacts(
        subject=subject,
        dates_of_birth=tuple(r.date_of_birth for r in records if r.date_of_birth),
        sexes=tuple(r.sex for r in records if r.sex),
        ethnicities=tuple(r.ethnicity for r in records if r.ethnicity),
        upns=tuple(r.upn for r in records if r.upn),
        latest_postcode=with_postcode[-1].postcode if with_postcode else None,
    )


def _event_subject(e: Any, scope: _Scope) -> str | None:
    """Whose event this is, or None when the extract may not use it: an event follows its
    record, else the record with its subject key, else its person."""
    if not scope.allowed(e.agreement_ref):
        return None
    if e.source_record_id is not None:
        return scope.subjects.get(e.source_record_id)
    key = (e.source_system, e.subject_key or "")
    if key in scope.by_key:
        return scope.by_key[key]
    return f"person:{e.person_id}" if e.person_id is not None else None


def _events(conn: Connection, scope: _Scope) -> list[EventFacts]:
    rows = conn.execute(
        select(
            Event.source_record_id, Event.person_id, Event.source_system, Event.subject_key,
            Event.event_type, Event.agency, Event.start_date, Event.end_date, Event.code,
            IngestBatch.agreement_ref,
        )
        .join(IngestBatch, IngestBatch.id == Event.batch_id)
        .order_by(Event.id)
    ).all()  # fmt: skip
    found = []
    for e in rows:
        subject = _event_subject(e, scope)
        if subject is None:
            scope.left_out["events"] += 1
            continue
        found.append(
            EventFacts(
                subject, e.event_type, category_of(e.agency).value, e.start_date, e.end_date,
                e.code,
            )
        )  # fmt: skip
    return found


def _write_csv(path: Path, fields: Sequence[str], rows: Iterable[dict[str, str]]) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fields))
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _write_summary(path: Path, table: SuppressedTable | None) -> int:
    def cell(value: int | None) -> str:
        return SUPPRESSED_MARK if value is None else str(value)

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if table is None:
            writer.writerow(["event_type", "total"])
            return 0
        writer.writerow(["event_type", *table.column_labels, "total"])
        for label, cells, total in zip(
            table.row_labels, table.cells, table.row_totals, strict=True
        ):
            writer.writerow([label, *map(cell, cells), cell(total)])
        writer.writerow(["total", *map(cell, table.column_totals), cell(table.grand_total)])
    return len(table.row_labels)


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UserError(
            f"{out_dir} already exists and is not an empty folder",
            fix="name a new folder: an extract is never written over another",
        )


def write_extract(
    engine: Engine,
    *,
    purpose: str,
    out_dir: Path,
    actor: str,
    pseudonymiser: Pseudonymiser,
    threshold: int,
) -> ExtractManifest:
    """Write the purpose's pseudonymised extract into ``out_dir`` (a new or empty folder)."""
    spec = _spec(purpose)
    _check_out_dir(out_dir)
    generated_at = datetime.now(UTC)
    with engine.connect() as conn:
        scope = _scope(conn, purpose)
        children = _children(conn, scope)
        events = _events(conn, scope)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=out_dir.parent))
    try:
        rows = _write_files(staging, spec, children, events, pseudonymiser, threshold)
        manifest = ExtractManifest(
            purpose, out_dir, rows, pseudonymiser.key_id, generated_at, dict(scope.left_out)
        )
        _write_manifest(staging, spec, manifest, threshold)
        with engine.begin() as conn:
            record_audit(
                conn, actor=actor, purpose=purpose, action="extract.write",
                target_type="extract", target_id=purpose,
                details={"rows": rows, "fields": _fields(spec), "key_id": manifest.key_id,
                         "left_out": manifest.left_out},
            )  # fmt: skip
        _move_into_place(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("extract for %s written: %s", purpose, rows)
    return manifest


def _write_files(
    folder: Path,
    spec: ExtractSpec,
    children: Sequence[ChildFacts],
    events: Sequence[EventFacts],
    pseudonymiser: Pseudonymiser,
    threshold: int,
) -> dict[str, int]:
    event_rows = [r for e in events if (r := event_row(spec, e, pseudonymiser)) is not None]
    child_rows = (child_row(spec, c, pseudonymiser) for c in children)
    return {
        CHILD_FILE: _write_csv(folder / CHILD_FILE, spec.child_fields, child_rows),
        EVENT_FILE: _write_csv(folder / EVENT_FILE, spec.event_fields, event_rows),
        SUMMARY_FILE: _write_summary(
            folder / SUMMARY_FILE, summary_table(event_rows, threshold=threshold)
        ),
    }


def _fields(spec: ExtractSpec) -> dict[str, list[str]]:
    return {CHILD_FILE: list(spec.child_fields), EVENT_FILE: list(spec.event_fields)}


def _move_into_place(staging: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in staging.iterdir():
        shutil.move(str(path), out_dir / path.name)


def _write_manifest(
    folder: Path, spec: ExtractSpec, manifest: ExtractManifest, threshold: int
) -> None:
    data = {
        "purpose": spec.purpose,
        "title": spec.title,
        "fields": _fields(spec),
        "event_types": sorted(spec.event_types),
        "rows": manifest.rows,
        "left_out": manifest.left_out,
        "key_id": manifest.key_id,
        "generated_at": manifest.generated_at.isoformat(),
        "disclosure_threshold": threshold,
    }
    (folder / "manifest.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(_readme(spec, manifest, threshold), encoding="utf-8")


def _readme(spec: ExtractSpec, manifest: ExtractManifest, threshold: int) -> str:
    lines = [
        f"# Pseudonymised extract: {spec.title}",
        "",
        f"Purpose `{spec.purpose}`. {spec.description}",
        "",
        f"Generated {manifest.generated_at:%Y-%m-%d %H:%M} UTC with pseudonym key "
        f"`{manifest.key_id}`. Pseudonyms match only across extracts made with the same key.",
        "No names, full dates of birth, postcodes, identifiers or free text are included; "
        "dates are months and postcodes districts. Left out: sealed records "
        f"({manifest.left_out.get('records_sealed', 0)}), and partners' records whose "
        "data-sharing agreement does not list this purpose "
        f"({manifest.left_out.get('records_agreement', 0)}), with their events "
        f"({manifest.left_out.get('events', 0)} events in all).",
        "",
    ]
    for name, fields in _fields(spec).items():
        lines += [f"## {name} ({manifest.rows[name]} rows)", "", "| field | meaning |", "|---|---|"]
        lines += [f"| `{f}` | {FIELDS[f]} |" for f in fields]
        lines.append("")
    lines += [
        f"## {SUMMARY_FILE}",
        "",
        "Events by type and year started, with totals. " + suppression_note(threshold),
        "",
    ]
    return "\n".join(lines)
