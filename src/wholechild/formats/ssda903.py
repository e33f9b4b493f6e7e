"""SSDA903 (children looked after) return: every CSV file kind, and the XML return.

The CSV return is a set of files, each told apart by its header (never by its name): header
(the child), episodes, reviews, missing, uasc, oc2, oc3, ad1, placed_for_adoption,
previous_permanence and sw_episodes. ``header`` rows carry the person; every other kind
carries events for the child named by ``CHILD`` (``Row.subject_key``).

Episodes yield a ``cla_episodes`` event and, when ``HOME_POST`` is filled in, an ``address``
event (the child's home postcode when the episode began). The placement postcode
(``PL_POST``) stays in the episode's details only: a placement address is not a home address
and is often confidential.

The XML return (``<EXPSSDA903><CHILD><HEADER>…<EPISODE>…``) yields one row per ``<CHILD>``,
numbered by its position in the file, carrying the person and all of their events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from lxml import etree

from wholechild.core.codes import normalise_ethnicity, normalise_sex
from wholechild.core.records import EventIn, FileReading, Finding, Row, Severity, SourceRecordIn
from wholechild.errors import InputFileError
from wholechild.formats import LoadOptions
from wholechild.formats._csv import (
    CsvLine,
    code_field,
    date_field,
    first_text,
    header_of,
    in_set,
    iso,
    quarantined,
    read_csv,
    text_field,
)

AGENCY: Final = "children's social care"

RNE: Final = frozenset({"P", "L", "T", "S", "U", "B"})
LEGAL_STATUS: Final = frozenset(
    {"C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"}
)
CATEGORY_OF_NEED: Final = frozenset({f"N{n}" for n in range(1, 9)})
PLACEMENT: Final = frozenset(
    {"A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1"}
    | {"T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1"}
)
REVIEW_CODE: Final = frozenset({f"PN{n}" for n in range(8)})
MISSING_CODE: Final = frozenset({"M", "A"})
SEX: Final = frozenset({"1", "2"})


@dataclass(frozen=True, slots=True)
class FileKind:
    """One SSDA903 file kind: the columns that identify it and the event each row becomes."""

    name: str
    signature: frozenset[str]
    event_type: str
    start: str | None = None
    end: str | None = None
    code: str | None = None
    dates: tuple[str, ...] = ()
    codes: dict[str, frozenset[str]] = field(default_factory=dict)
    partial_dates: tuple[str, ...] = ()  # dates the return lets be written 'zz/zz/YYYY'
    start_required: bool = True


HEADER: Final = FileKind(
    "header", frozenset({"CHILD", "SEX", "DOB", "ETHNIC", "UPN"}), "", dates=("DOB", "MC_DOB")
)
EVENT_KINDS: Final[tuple[FileKind, ...]] = (
    FileKind(
        "episodes",
        frozenset({"CHILD", "DECOM", "RNE", "LS", "CIN", "DEC", "REC"}),
        "cla_episodes",
        start="DECOM",
        end="DEC",
        code="PLACE",
        dates=("DECOM", "DEC"),
        codes={"RNE": RNE, "LS": LEGAL_STATUS, "CIN": CATEGORY_OF_NEED, "PLACE": PLACEMENT},
    ),
    FileKind(
        "reviews",
        frozenset({"CHILD", "REVIEW", "REVIEW_CODE"}),
        "cla_reviews",
        start="REVIEW",
        code="REVIEW_CODE",
        dates=("DOB", "REVIEW"),
        codes={"REVIEW_CODE": REVIEW_CODE},
    ),
    FileKind(
        "missing",
        frozenset({"CHILD", "MISSING", "MIS_START"}),
        "missing",
        start="MIS_START",
        end="MIS_END",
        code="MISSING",
        dates=("DOB", "MIS_START", "MIS_END"),
        codes={"MISSING": MISSING_CODE},
    ),
    FileKind(
        "uasc",
        frozenset({"CHILD", "DUC"}),
        "uasc",
        end="DUC",
        dates=("DOB", "DUC"),
        codes={"SEX": SEX},
    ),
    FileKind(
        "oc2",
        frozenset({"CHILD", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS"}),
        "cla_outcomes",
        dates=("DOB",),
    ),
    FileKind(
        "oc3", frozenset({"CHILD", "IN_TOUCH", "ACTIV", "ACCOM"}), "care_leavers", code="IN_TOUCH"
    ),
    FileKind(
        "ad1",
        frozenset({"CHILD", "DATE_INT", "DATE_MATCH"}),
        "adoption",
        start="DATE_INT",
        dates=("DOB", "DATE_INT", "DATE_MATCH"),
    ),
    FileKind(
        "placed_for_adoption",
        frozenset({"CHILD", "DATE_PLACED", "DATE_PLACED_CEASED"}),
        "placed_for_adoption",
        start="DATE_PLACED",
        end="DATE_PLACED_CEASED",
        code="REASON_PLACED_CEASED",
        dates=("DOB", "DATE_PLACED", "DATE_PLACED_CEASED"),
    ),
    FileKind(
        "previous_permanence",
        frozenset({"CHILD", "PREV_PERM"}),
        "previous_permanence",
        start="DATE_PERM",
        code="PREV_PERM",
        dates=("DOB", "DATE_PERM"),
        partial_dates=("DATE_PERM",),
        start_required=False,  # empty when there was no previous permanence (PREV_PERM Z1)
    ),
    FileKind(
        "sw_episodes",
        frozenset({"CHILD", "SW_ID", "SW_DECOM"}),
        "sw_episodes",
        start="SW_DECOM",
        end="SW_DEC",
        code="SW_REASON",
        dates=("DOB", "SW_DECOM", "SW_DEC"),
    ),
)
KINDS: Final = (HEADER, *EVENT_KINDS)


def kind_of(header: list[str]) -> FileKind | None:
    """The file kind whose identifying columns the header has (the most specific one)."""
    columns = {h.strip().upper() for h in header}
    matches = [k for k in KINDS if k.signature <= columns]
    return max(matches, key=lambda k: len(k.signature), default=None)


def _child_missing(number: int) -> Finding:
    return Finding(
        "ssda903.child_missing",
        "CHILD is empty, so the row cannot be tied to a child",
        "fill in the child's CHILD id as in header.csv and load the file again",
        severity=Severity.ERROR,
        row=number,
        field="CHILD",
    )


def person(values: dict[str, str], number: int, findings: list[Finding]) -> SourceRecordIn:
    """The child as header.csv (or the XML ``<HEADER>``) holds them."""
    child = text_field(values, "CHILD")
    return SourceRecordIn(
        source_key=child,
        la_child_id=child,
        date_of_birth=date_field(values, "DOB", number, findings, required=True),
        sex=code_field(values, "SEX", lambda v: normalise_sex(v) is not None, number, findings),
        ethnicity=code_field(
            values, "ETHNIC", lambda v: normalise_ethnicity(v) is not None, number, findings
        ),
        upn=text_field(values, "UPN"),
    )


def motherhood(values: dict[str, str], number: int, findings: list[Finding]) -> list[EventIn]:
    """A ``cla_mother`` event when header.csv says the child is a mother (MOTHER = 1)."""
    mother = code_field(values, "MOTHER", in_set(frozenset({"0", "1"})), number, findings)
    child_born = date_field(values, "MC_DOB", number, findings)
    if mother is None or mother.removesuffix(".0") != "1":
        return []
    details = {"MOTHER": mother, "MC_DOB": iso(child_born)}
    return [EventIn("cla_mother", AGENCY, start_date=child_born, details=details)]


def _dates(
    kind: FileKind, values: dict[str, str], number: int, findings: list[Finding]
) -> dict[str, date | None]:
    dated: dict[str, date | None] = {}
    for column in kind.dates:
        raw = text_field(values, column)
        if column in kind.partial_dates and raw is not None and "Z" in raw.upper():
            dated[column] = None  # a partly known date ('zz/zz/2015'), as the return allows
        elif column in values or column == kind.start:
            required = column == kind.start and kind.start_required
            dated[column] = date_field(values, column, number, findings, required=required)
    return dated


def event(kind: FileKind, values: dict[str, str], number: int, findings: list[Finding]) -> EventIn:
    """The event one row of an event file kind becomes; details keep the source's columns."""
    for column, codes in kind.codes.items():
        code_field(values, column, in_set(codes), number, findings)
    dated = _dates(kind, values, number, findings)
    details: dict[str, str | None] = {}
    for column in values:
        if column in {"CHILD", "DOB", "SEX"}:
            continue
        parsed = dated.get(column)
        details[column] = iso(parsed) if parsed is not None else text_field(values, column)
    return EventIn(
        kind.event_type,
        AGENCY,
        start_date=dated.get(kind.start) if kind.start else None,
        end_date=dated.get(kind.end) if kind.end else None,
        code=text_field(values, kind.code),
        details=details,
    )


def home_address(episode: EventIn) -> list[EventIn]:
    """An ``address`` event for the child's home postcode at the start of an episode."""
    postcode = episode.details.get("HOME_POST")
    if not postcode:
        return []
    details = {"postcode": postcode, "uprn": None, "source_field": "HOME_POST"}
    return [EventIn("address", AGENCY, start_date=episode.start_date, details=details)]


def events_of(
    kind: FileKind, values: dict[str, str], number: int, findings: list[Finding]
) -> list[EventIn]:
    """Every event one row of an event file kind yields."""
    happened = event(kind, values, number, findings)
    if kind.name == "episodes":
        return [happened, *home_address(happened)]
    return [happened]


def csv_row(kind: FileKind, number: int, raw: str, values: dict[str, str]) -> Row:
    """One row of a CSV file of the given kind."""
    values = {k.strip().upper(): v for k, v in values.items()}
    child = text_field(values, "CHILD")
    if child is None:
        return quarantined(number, raw, _child_missing(number))
    findings: list[Finding] = []
    if kind is HEADER:
        record = person(values, number, findings)
        events = motherhood(values, number, findings)
        return Row(number, raw, record=record, events=events, findings=findings)
    if "DOB" in values:
        date_field(values, "DOB", number, findings)
    events = events_of(kind, values, number, findings)
    return Row(number, raw, events=events, findings=findings, subject_key=child)


def read_csv_file(path: Path, reading: FileReading) -> Iterator[Row]:
    header, lines = read_csv(path)
    kind = kind_of(header)
    if kind is None:
        raise InputFileError(
            f"{path.name}: the header matches none of the SSDA903 file kinds",
            fix="check the file is an SSDA903 CSV with its header line, or load it with a "
            "column mapping (--mapping)",
        )
    reading.file_findings.append(
        Finding("ssda903.kind", f"read as the SSDA903 {kind.name} file", "", Severity.INFO)
    )
    return csv_rows(kind, lines)


def csv_rows(kind: FileKind, lines: Iterator[CsvLine]) -> Iterator[Row]:
    for line in lines:
        if line.problem is not None:
            yield quarantined(line.number, line.raw, line.problem)
        else:
            yield csv_row(kind, line.number, line.raw, line.values)


_BY_NAME: Final = {k.name: k for k in EVENT_KINDS}
# Parts of the XML <HEADER> that hold one event kind's fields directly (not in a sub-element).
_HEADER_PARTS: Final = (
    ("uasc", ("DUC",)),
    ("oc3", ("IN_TOUCH", "ACTIV", "ACCOM")),
    ("ad1", ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")),
)
# XML sub-elements of <HEADER> (or <CHILD>) and the event kind each becomes.
_XML_ELEMENTS: Final = (
    ("HEADER/AREVIEW", "reviews"),
    ("HEADER/AMISSING", "missing"),
    ("HEADER/AD_PLACED", "placed_for_adoption"),
    ("HEADER/OC2", "oc2"),
    ("HEADER/PERMANENCE", "previous_permanence"),
    ("EPISODE", "episodes"),
    ("SW_EPISODE", "sw_episodes"),
)
_XML_RENAMES: Final = {"CHILDID": "CHILD", "PL": "PLACE"}


def _flat(element: etree._Element) -> dict[str, str]:
    """An element's leaf children as field -> text, with the XML's names mapped to the CSV's."""
    values: dict[str, str] = {}
    for child in element:
        if isinstance(child.tag, str) and len(child) == 0:
            values[_XML_RENAMES.get(child.tag, child.tag)] = child.text or ""
    return values


def xml_row(number: int, child: etree._Element) -> Row:
    """One ``<CHILD>`` of the XML return: the person and every event recorded for them."""
    raw = etree.tostring(child, encoding="unicode")
    head = child.find("HEADER")
    values = _flat(head) if head is not None else {}
    if text_field(values, "CHILD") is None:
        return quarantined(number, raw, _child_missing(number))
    findings: list[Finding] = []
    record = person(values, number, findings)
    events = motherhood(values, number, findings)
    for name, columns in _HEADER_PARTS:
        part = {c: values[c] for c in columns if c in values}
        if text_field(part, columns[0]) is not None:
            events += events_of(_BY_NAME[name], part, number, findings)
    for path, name in _XML_ELEMENTS:
        for element in child.iterfind(path):
            events += events_of(_BY_NAME[name], _flat(element), number, findings)
    return Row(number, raw, record=record, events=events, findings=findings)


def read_xml_file(path: Path, reading: FileReading) -> Iterator[Row]:
    number = 0
    parser = etree.iterparse(
        str(path), events=("end",), tag="CHILD", resolve_entities=False, no_network=True
    )
    try:
        for _event, child in parser:
            number += 1
            yield xml_row(number, child)
            child.clear()
    except (etree.XMLSyntaxError, OSError) as exc:
        if number == 0:
            raise InputFileError(
                f"{path.name}: cannot be read as SSDA903 XML ({type(exc).__name__})",
                fix="check the file is a complete, well-formed SSDA903 XML export",
            ) from exc
        reading.file_findings.append(_xml_cut(number, exc))


def _xml_cut(number: int, exc: Exception) -> Finding:
    line = getattr(exc, "lineno", None)
    return Finding(
        "xml.syntax",
        f"the XML stops being well-formed after child {number} (line {line}); "
        "the rest of the file could not be read",
        "re-export the file: it is cut short or has a broken element",
        severity=Severity.ERROR,
    )


class Ssda903Format:
    """The SSDA903 children-looked-after return, CSV files or XML."""

    name: str = "ssda903"
    description: str = "SSDA903 children looked after return (CSV files by header, or XML)"
    agency: str = AGENCY
    default_source_system: str = "ssda903"

    def sniff(self, path: Path, head: str) -> bool:
        if head == "<zip>":
            return False
        if head.lstrip("\ufeff \r\n\t").startswith("<"):
            return "<EXPSSDA903" in head or ("<CHILD>" in head and "<CHILDID>" in head)
        return kind_of(header_of(head)) is not None

    def read(self, path: Path, reading: FileReading, options: LoadOptions) -> Iterator[Row]:
        if first_text(path).startswith("<"):
            return read_xml_file(path, reading)
        return read_csv_file(path, reading)


FORMAT: Final = Ssda903Format()
