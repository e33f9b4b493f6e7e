"""Ofsted Annex A workbooks (XLSX): lists 1-10, one row per child per list.

Each list sheet is found by its name ("List 1", "list 3 - referrals", ...) and its header row
by the "Child Unique ID" cell (case, spacing and line breaks in headers do not matter). Each
data row yields the child as the list holds them and one event named for the list. Dropdown
prefixes that Annex A templates put on codes ("a) WBRI", "b) Female") are removed from sex
and ethnicity; ``details`` keep every other cell as written, dates in ISO form.

List 11 holds adopters, not children: it is not read (a file-level INFO finding says so).
Sheets that are not lists are reported the same way. ``Row.number`` is the sheet row, and
findings name the field as "List 1: Contacts / Date of Birth".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from wholechild.core.codes import normalise_ethnicity, normalise_sex
from wholechild.core.records import EventIn, FileReading, Finding, Row, Severity, SourceRecordIn
from wholechild.errors import InputFileError
from wholechild.formats import LoadOptions
from wholechild.formats._csv import (
    blank_to_none,
    canonical,
    code_field,
    date_field,
    iso,
    open_workbook,
    quarantined,
    raw_of,
    sheet_rows,
)

AGENCY: Final = "children's social care"
_LIST_NAME = re.compile(r"\blist\s*[-_]?\s*(\d{1,2})\b", re.IGNORECASE)
_DROPDOWN = re.compile(r"^[a-z]{1,2}\)\s*", re.IGNORECASE)
_HEADER_SCAN_ROWS: Final = 12

CHILD_ID: Final = ("child unique id", "child unique identifier", "child id", "unique child id")
PERSON: Final[dict[str, tuple[str, ...]]] = {
    "sex": ("gender", "sex"),
    "ethnicity": ("ethnicity", "ethnic origin", "ethnic group"),
    "date_of_birth": ("date of birth", "dob"),
    "upn": ("upn", "unique pupil number"),
}
SEX_NOT_KNOWN: Final = frozenset({"not stated recorded", "not stated", "not recorded", "unknown"})


@dataclass(frozen=True, slots=True)
class ListSpec:
    """One Annex A list: its title, the event its rows become, and where that event's dates
    and code are (header variants, compared in canonical form)."""

    title: str
    event_type: str
    start: tuple[str, ...] = ()
    end: tuple[str, ...] = ()
    code: tuple[str, ...] = ()


LISTS: Final[dict[int, ListSpec]] = {
    1: ListSpec("Contacts", "contacts", ("date of contact",), code=("contact source",)),
    2: ListSpec(
        "Early Help",
        "early_help_assessments",
        ("assessment start date", "early help assessment start date"),
        ("assessment completion date", "early help assessment completion date"),
    ),
    3: ListSpec("Referrals", "cin_episodes", ("date of referral",), code=("referral source",)),
    4: ListSpec(
        "Assessments",
        "cin_assessments",
        ("continuous assessment start date", "assessment start date"),
        ("continuous assessment date of authorisation", "assessment date of authorisation"),
    ),
    5: ListSpec(
        "Section 47 Enquiries",
        "s47_enquiry",
        (
            "strategy discussion initiating section 47 enquiry start date",
            "section 47 enquiry start date",
        ),
    ),
    6: ListSpec(
        "Children in Need",
        "cin_plans",
        ("cin start date",),
        ("cin closure date",),
        ("primary need code", "primary need"),
    ),
    7: ListSpec(
        "Child Protection",
        "cp_plans",
        ("child protection plan start date",),
        ("child protection plan end date",),
        ("initial category of abuse",),
    ),
    8: ListSpec(
        "Children in Care",
        "cla_episodes",
        ("date started to be looked after",),
        ("date ceased to be looked after",),
        ("child s legal status", "legal status"),
    ),
    9: ListSpec("Care Leavers", "care_leavers", code=("eligibility category",)),
    10: ListSpec(
        "Adoption", "adoption", ("date the child entered care",), ("date of adoption order",)
    ),
}
ADOPTERS_LIST: Final = 11


@dataclass(slots=True)
class Sheet:
    """A list sheet as understood: its spec, label and which column holds what."""

    spec: ListSpec
    label: str  # "List 1: Contacts"
    headers: list[str]  # display form, line breaks folded
    child_id: int
    person: dict[str, int]
    start: str | None
    end: str | None
    code: str | None


def _first(canon: list[str], variants: tuple[str, ...]) -> int | None:
    for variant in variants:
        if variant in canon:
            return canon.index(variant)
    return None


def understand(spec: ListSpec, title: str, cells: list[str]) -> Sheet | None:
    """The sheet's layout from its header row, or ``None`` if it has no child id column."""
    headers = [" ".join(c.split()) for c in cells]
    canon = [canonical(c) for c in cells]
    child_id = _first(canon, CHILD_ID)
    if child_id is None:
        return None
    person = {f: i for f, v in PERSON.items() if (i := _first(canon, v)) is not None}

    def named(variants: tuple[str, ...]) -> str | None:
        index = _first(canon, variants)
        return None if index is None else headers[index]

    return Sheet(
        spec,
        f"List {list_number(title)}: {spec.title}",
        headers,
        child_id,
        person,
        named(spec.start),
        named(spec.end),
        named(spec.code),
    )


def _label(sheet: Sheet, column: str) -> str:
    return f"{sheet.label} / {column}"


def _values(sheet: Sheet, cells: list[str]) -> dict[str, str]:
    cells = cells + [""] * (len(sheet.headers) - len(cells))
    return {h: cells[i] for i, h in enumerate(sheet.headers) if h}


def _without_dropdown(value: str | None) -> str | None:
    return None if value is None else blank_to_none(_DROPDOWN.sub("", value))


def _sex_known(value: str) -> bool:
    return normalise_sex(value) is not None or canonical(value) in SEX_NOT_KNOWN


def person(sheet: Sheet, values: dict[str, str], number: int, f: list[Finding]) -> SourceRecordIn:
    """The child as the list holds them."""
    columns = {field: sheet.headers[i] for field, i in sheet.person.items()}
    cleaned = {c: _without_dropdown(values.get(c)) or "" for c in columns.values()}
    child = blank_to_none(values.get(sheet.headers[sheet.child_id]))
    sex = ethnicity = upn = None
    born = None
    if "sex" in columns:
        sex = code_field(
            cleaned, columns["sex"], _sex_known, number, f, label=_label(sheet, columns["sex"])
        )
    if "ethnicity" in columns:
        column = columns["ethnicity"]
        known = lambda v: normalise_ethnicity(v) is not None  # noqa: E731
        ethnicity = code_field(cleaned, column, known, number, f, label=_label(sheet, column))
    if "date_of_birth" in columns:
        column = columns["date_of_birth"]
        born = date_field(values, column, number, f, required=True, label=_label(sheet, column))
    if "upn" in columns:
        upn = blank_to_none(values.get(columns["upn"]))
    return SourceRecordIn(
        source_key=child,
        la_child_id=child,
        sex=sex,
        ethnicity=ethnicity,
        date_of_birth=born,
        upn=upn,
    )


def event(sheet: Sheet, values: dict[str, str], number: int, f: list[Finding]) -> EventIn:
    """The list's event for this row; details hold every cell that is not the person's."""
    skip = {sheet.headers[sheet.child_id], *(sheet.headers[i] for i in sheet.person.values())}
    details: dict[str, Any] = {}
    dates: dict[str, Any] = {}
    for column, value in values.items():
        if column in skip:
            continue
        if "date" in canonical(column).split():
            required = column == sheet.start
            label = _label(sheet, column)
            dates[column] = date_field(values, column, number, f, required=required, label=label)
            details[column] = iso(dates[column]) or blank_to_none(value)
        else:
            details[column] = blank_to_none(value)
    return EventIn(
        sheet.spec.event_type,
        AGENCY,
        start_date=dates.get(sheet.start) if sheet.start else None,
        end_date=dates.get(sheet.end) if sheet.end else None,
        code=details.get(sheet.code) if sheet.code else None,
        details=details,
    )


def list_row(sheet: Sheet, number: int, cells: list[str]) -> Row:
    """One data row of a list sheet."""
    raw = raw_of(cells)
    values = _values(sheet, cells)
    id_column = sheet.headers[sheet.child_id]
    if blank_to_none(values.get(id_column)) is None:
        return quarantined(
            number,
            raw,
            Finding(
                "annex_a.child_id_missing",
                f"{id_column} is empty, so the row cannot be tied to a child",
                f"fill in {id_column} for this row in the list and load the workbook again",
                severity=Severity.ERROR,
                row=number,
                field=_label(sheet, id_column),
            ),
        )
    findings: list[Finding] = []
    record = person(sheet, values, number, findings)
    events = [event(sheet, values, number, findings)]
    return Row(number, raw, record=record, events=events, findings=findings)


def _sheet_note(title: str, why: str, fix: str, severity: Severity = Severity.INFO) -> Finding:
    return Finding("annex_a.sheet", f"sheet '{title}' {why}", fix, severity)


def list_number(title: str) -> int | None:
    match = _LIST_NAME.search(title)
    return int(match.group(1)) if match else None


def _spec_for(title: str, reading: FileReading) -> ListSpec | None:
    number = list_number(title)
    if number == ADOPTERS_LIST:
        why = "lists adopters, not children, and is not read"
        reading.file_findings.append(_sheet_note(title, why, "nothing to do"))
        return None
    if number is None or number not in LISTS:
        why = "is not one of Annex A lists 1-10 and is not read"
        fix = "name list sheets 'List 1' to 'List 10' if this sheet is one of them"
        reading.file_findings.append(_sheet_note(title, why, fix))
        return None
    return LISTS[number]


def _find_header(spec: ListSpec, title: str, rows: Iterator[tuple[int, list[str]]]) -> Sheet | None:
    for number, cells in rows:
        sheet = understand(spec, title, cells)
        if sheet is not None or number >= _HEADER_SCAN_ROWS:
            return sheet
    return None


def _check_columns(sheet: Sheet, title: str, reading: FileReading) -> None:
    for part, variants, found in (
        ("start date", sheet.spec.start, sheet.start),
        ("end date", sheet.spec.end, sheet.end),
    ):
        if variants and found is None:
            why = f"has no column for the {sheet.spec.title.lower()} {part}"
            fix = f"name the column '{variants[0]}' (any case); events load without the date"
            reading.file_findings.append(_sheet_note(title, why, fix, Severity.WARNING))


def sheet_rows_of(worksheet: Any, reading: FileReading) -> Iterator[Row]:
    """Every row of one worksheet, if it is a list of children."""
    title = str(worksheet.title)
    spec = _spec_for(title, reading)
    if spec is None:
        return
    rows = sheet_rows(worksheet)
    sheet = _find_header(spec, title, rows)
    if sheet is None:
        why = f"has no 'Child Unique ID' column in its first {_HEADER_SCAN_ROWS} rows; not read"
        fix = "put the list's header row (with 'Child Unique ID') at the top of the sheet"
        reading.file_findings.append(_sheet_note(title, why, fix, Severity.ERROR))
        return
    _check_columns(sheet, title, reading)
    for number, cells in rows:
        if any(c.strip() for c in cells):  # wholly empty sheet rows are formatting, not rows
            yield list_row(sheet, number, cells)


class AnnexAFormat:
    """Ofsted Annex A inspection workbooks."""

    name: str = "annex-a"
    description: str = "Ofsted Annex A workbook (lists 1-10 of children, XLSX)"
    agency: str = AGENCY
    default_source_system: str = "annex_a"

    def sniff(self, path: Path, head: str) -> bool:
        if head != "<zip>":
            return False
        try:
            workbook = open_workbook(path)
        except InputFileError:
            return False
        try:
            return any(list_number(str(t)) in LISTS for t in workbook.sheetnames)
        finally:
            workbook.close()

    def read(self, path: Path, reading: FileReading, options: LoadOptions) -> Iterator[Row]:
        workbook = open_workbook(path)
        return self._rows(workbook, reading)

    def _rows(self, workbook: Any, reading: FileReading) -> Iterator[Row]:
        try:
            for worksheet in workbook.worksheets:
                yield from sheet_rows_of(worksheet, reading)
        finally:
            workbook.close()


FORMAT: Final = AnnexAFormat()
