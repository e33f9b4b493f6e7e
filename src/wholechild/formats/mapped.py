"""Agency CSV or XLSX extracts read through a declared column mapping (docs/mapping.md).

The mapping is checked in full before anything is read: every problem with it is reported at
once, and so is every mapped column the file lacks. A row whose mapped fields are all empty is
quarantined. CSV rows are numbered by data row; XLSX rows by sheet row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from wholechild.core.age import MAX_AGE, DobWindow, dob_window
from wholechild.core.codes import normalise_ethnicity, normalise_sex
from wholechild.core.normalise import parse_date
from wholechild.core.records import (
    AddressIn,
    EventIn,
    FileReading,
    Finding,
    Row,
    Severity,
    SourceRecordIn,
)
from wholechild.errors import InputFileError
from wholechild.formats import LoadOptions
from wholechild.formats._csv import (
    canonical,
    code_field,
    date_field,
    open_workbook,
    quarantined,
    raw_of,
    read_csv,
    sheet_rows,
    text_field,
)

AGENCIES: Final = frozenset(
    {"health", "police", "early_help", "housing", "school", "social_care", "other"}
)
TOP_LEVEL: Final = frozenset({"source_system", "agency", "sheet", "record", "events"})
TEXT_FIELDS: Final = (
    "source_key",
    "nhs_number",
    "upn",
    "uln",
    "la_child_id",
    "police_ref",
    "forename",
    "middle_names",
    "surname",
    "former_surname",
    "preferred_surname",
)
# ``age`` is the child's age in whole years on the date in ``age_on``: together they give a
# window of possible dates of birth, for sources that record an age instead (police).
AGE_FIELDS: Final = ("age", "age_on")
RECORD_FIELDS: Final = frozenset(
    {*TEXT_FIELDS, *AGE_FIELDS, "date_of_birth", "sex", "ethnicity", "postcode", "address_line"}
)
EVENT_FIELDS: Final = frozenset({"event_type", "start_date", "end_date", "code", "details"})


def _column_problems(where: str, value: object) -> list[str]:
    if value is None or (isinstance(value, str) and value.strip()):
        return []
    return [f"{where}: give a column name (text) or null"]


def _record_problems(record: object) -> list[str]:
    if record is None:
        return []
    if not isinstance(record, dict):
        return ["record: must be a set of 'field: Column' lines"]
    problems = [
        f"record.{key}: not a record field (use one of {', '.join(sorted(RECORD_FIELDS))})"
        for key in record
        if key not in RECORD_FIELDS
    ]
    for key, value in record.items():
        problems += _column_problems(f"record.{key}", value)
    if bool(record.get("age")) != bool(record.get("age_on")):
        problems.append("record.age: give age and age_on (the date the age was true) together")
    return problems


def _event_problems(index: int, spec: object) -> list[str]:
    where = f"events[{index}]"
    if not isinstance(spec, dict):
        return [f"{where}: must be a set of 'field: Column' lines"]
    problems = [
        f"{where}.{key}: not an event field (use one of {', '.join(sorted(EVENT_FIELDS))})"
        for key in spec
        if key not in EVENT_FIELDS
    ]
    event_type = spec.get("event_type")
    if not isinstance(event_type, str) or not event_type.strip():
        problems.append(f"{where}.event_type: required, e.g. health_contact")
    for key in ("start_date", "end_date", "code"):
        problems += _column_problems(f"{where}.{key}", spec.get(key))
    details = spec.get("details")
    if details is not None and not (
        isinstance(details, list) and all(isinstance(d, str) and d.strip() for d in details)
    ):
        problems.append(f"{where}.details: must be a list of column names")
    return problems


def mapping_problems(mapping: object) -> list[str]:
    """Every problem with a parsed mapping, in the mapping's own terms (empty when it is good)."""
    if not isinstance(mapping, dict):
        return ["the mapping must be a set of 'key: value' lines (see docs/mapping.md)"]
    problems = [f"{key}: not a mapping key" for key in mapping if key not in TOP_LEVEL]
    for key in ("source_system", "agency"):
        value = mapping.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{key}: required")
    agency = mapping.get("agency")
    if isinstance(agency, str) and agency.strip() and agency not in AGENCIES:
        problems.append(f"agency: must be one of {', '.join(sorted(AGENCIES))}")
    problems += _column_problems("sheet", mapping.get("sheet"))
    problems += _record_problems(mapping.get("record"))
    events = mapping.get("events")
    if events is not None and not isinstance(events, list):
        problems.append("events: must be a list of events")
    elif events:
        for index, spec in enumerate(events):
            problems += _event_problems(index, spec)
    if not mapping.get("record") and not events:
        problems.append("map a record field or an event, or there is nothing to load")
    return problems


def check_mapping(mapping: object, name: str = "the mapping") -> dict[str, Any]:
    """The mapping, if good; otherwise InputFileError listing every problem at once."""
    problems = mapping_problems(mapping)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise InputFileError(
            f"{name} has {len(problems)} problem(s):\n{listed}",
            fix="correct each listed line of the mapping (see docs/mapping.md)",
        )
    assert isinstance(mapping, dict)
    return mapping


def load_mapping(path: Path) -> dict[str, Any]:
    """Read and check a mapping file; InputFileError (with the line) when it is not good YAML."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"mapping {path.name} cannot be read ({type(exc).__name__})",
            fix="check the mapping file exists, is readable and is saved as UTF-8",
        ) from exc
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputFileError(
            f"mapping {path.name} is not valid YAML{where}: {problem}",
            fix="correct that line; YAML needs 'key: value' lines and consistent indentation",
        ) from exc
    return check_mapping(parsed, f"mapping {path.name}")


@dataclass(frozen=True, slots=True)
class EventPlan:
    """One mapped event, its fields resolved to the file's own column names."""

    event_type: str
    start: str | None
    end: str | None
    code: str | None
    details: tuple[str, ...]

    def columns(self) -> list[str]:
        return [c for c in (self.start, self.end, self.code, *self.details) if c]


@dataclass(frozen=True, slots=True)
class Plan:
    """The mapping resolved against a file's header."""

    record: dict[str, str]  # record field -> file column
    events: tuple[EventPlan, ...]


def _resolver(header: list[str], missing: list[str]) -> Any:
    exact = {h: h for h in header}
    loose = {canonical(h): h for h in header}

    def resolve(column: object) -> str | None:
        if not isinstance(column, str):
            return None
        found = exact.get(column.strip()) or loose.get(canonical(column))
        if found is None and column not in missing:
            missing.append(column)
        return found

    return resolve


def plan_for(mapping: dict[str, Any], header: list[str], name: str) -> Plan:
    """The mapping against this header; InputFileError naming every missing column at once."""
    missing: list[str] = []
    resolve = _resolver(header, missing)
    record = {f: resolve(c) or "" for f, c in (mapping.get("record") or {}).items() if c}
    events = tuple(
        EventPlan(
            str(spec["event_type"]).strip(),
            resolve(spec.get("start_date")),
            resolve(spec.get("end_date")),
            resolve(spec.get("code")),
            tuple(resolve(d) or "" for d in spec.get("details") or ()),
        )
        for spec in mapping.get("events") or ()
    )
    if missing:
        raise InputFileError(
            f"{name}: {len(missing)} mapped column(s) are not in the file's header: "
            + ", ".join(missing),
            fix="correct the column names in the mapping to match the file's header line "
            "(case and spacing do not matter), or re-export the file with those columns",
        )
    return Plan(record, events)


def _record(
    plan: Plan, values: dict[str, str], number: int, findings: list[Finding]
) -> SourceRecordIn | None:
    columns = plan.record
    if not any(text_field(values, c) for c in columns.values()):
        return None
    record = SourceRecordIn(source_key=None)
    for field in TEXT_FIELDS:
        setattr(record, field, text_field(values, columns.get(field)))
    if "date_of_birth" in columns:
        record.date_of_birth = date_field(values, columns["date_of_birth"], number, findings)
    if "sex" in columns:
        known_sex = lambda v: normalise_sex(v) is not None  # noqa: E731
        record.sex = code_field(values, columns["sex"], known_sex, number, findings)
    if "ethnicity" in columns:
        known = lambda v: normalise_ethnicity(v) is not None  # noqa: E731
        record.ethnicity = code_field(values, columns["ethnicity"], known, number, findings)
    window = _age_window(columns, values, number, findings)
    if window is not None:
        record.dob_earliest, record.dob_latest = window.earliest, window.latest
    postcode = text_field(values, columns.get("postcode"))
    line = text_field(values, columns.get("address_line"))
    if postcode or line:
        record.addresses.append(AddressIn(postcode=postcode, line=line))
    return record


_WHOLE_NUMBER: Final = re.compile(r"\d{1,3}")


def _age_finding(rule: str, message: str, fix: str, number: int, field: str) -> Finding:
    return Finding(rule, message, f"{fix}; the row loads without the age", row=number, field=field)


def _age_window(
    columns: dict[str, str], values: dict[str, str], number: int, findings: list[Finding]
) -> DobWindow | None:
    """The window of dates of birth an age on a date allows; a finding when it cannot be used."""
    age_column, on_column = columns.get("age"), columns.get("age_on")
    raw = text_field(values, age_column)
    if raw is None or age_column is None or on_column is None:
        return None
    if not _WHOLE_NUMBER.fullmatch(raw) or int(raw) > MAX_AGE:
        fix = f"write the age in whole years, 0 to {MAX_AGE}"
        findings.append(
            _age_finding("age.range", f"{age_column} is not an age", fix, number, age_column)
        )
        return None
    on = parse_date(text_field(values, on_column))
    if on is None:
        message = f"{age_column} cannot be used: {on_column} is empty or not a real date"
        fix = f"fill in {on_column}, the date the age was true, as DD/MM/YYYY"
        findings.append(_age_finding("age.no_date", message, fix, number, on_column))
        return None
    return dob_window(int(raw), on)


def _events(
    plan: Plan, agency: str, values: dict[str, str], number: int, findings: list[Finding]
) -> list[EventIn]:
    events: list[EventIn] = []
    for spec in plan.events:
        if not any(text_field(values, c) for c in spec.columns()):
            continue
        start = date_field(values, spec.start, number, findings) if spec.start else None
        end = date_field(values, spec.end, number, findings) if spec.end else None
        details = {c: text_field(values, c) for c in spec.details}
        code = text_field(values, spec.code)
        events.append(EventIn(spec.event_type, agency, start, end, code, details))
    return events


def mapped_row(plan: Plan, agency: str, number: int, raw: str, values: dict[str, str]) -> Row:
    """One row read through the mapping."""
    findings: list[Finding] = []
    record = _record(plan, values, number, findings)
    events = _events(plan, agency, values, number, findings)
    if record is None and not events:
        return quarantined(
            number,
            raw,
            Finding(
                "mapped.empty",
                "every mapped column is empty in this row",
                "fill in the row or remove it from the extract",
                severity=Severity.ERROR,
                row=number,
            ),
        )
    subject = text_field(values, plan.record.get("source_key"))
    return Row(number, raw, record=record, events=events, findings=findings, subject_key=subject)


def _csv_rows(path: Path, mapping: dict[str, Any], agency: str) -> Iterator[Row]:
    header, lines = read_csv(path)
    plan = plan_for(mapping, header, path.name)
    return (
        quarantined(line.number, line.raw, line.problem)
        if line.problem is not None
        else mapped_row(plan, agency, line.number, line.raw, line.values)
        for line in lines
    )


def _worksheet(workbook: Any, wanted: str | None, name: str) -> Any:
    if wanted is None:
        return workbook.worksheets[0]
    for title in workbook.sheetnames:
        if canonical(str(title)) == canonical(wanted):
            return workbook[title]
    workbook.close()
    raise InputFileError(
        f"{name}: the mapping names sheet '{wanted}', which the workbook does not have",
        fix="set 'sheet:' in the mapping to one of: " + ", ".join(map(str, workbook.sheetnames)),
    )


def _xlsx_rows(path: Path, mapping: dict[str, Any], agency: str) -> Iterator[Row]:
    workbook = open_workbook(path)
    rows = sheet_rows(_worksheet(workbook, mapping.get("sheet"), path.name))
    header = next((cells for _, cells in rows if any(c.strip() for c in cells)), [])
    try:
        plan = plan_for(mapping, [h.strip() for h in header], path.name)
    except InputFileError:
        workbook.close()
        raise
    return _sheet_data(workbook, rows, plan, agency, [h.strip() for h in header])


def _sheet_data(
    workbook: Any,
    rows: Iterator[tuple[int, list[str]]],
    plan: Plan,
    agency: str,
    header: list[str],
) -> Iterator[Row]:
    try:
        for number, cells in rows:
            if not any(c.strip() for c in cells):
                continue  # wholly empty sheet rows are formatting, not rows
            padded = cells + [""] * (len(header) - len(cells))
            values = {h: padded[i] for i, h in enumerate(header) if h}
            yield mapped_row(plan, agency, number, raw_of(cells), values)
    finally:
        workbook.close()


def _is_xlsx(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(2) == b"PK"
    except OSError as exc:
        raise InputFileError(
            f"{path.name}: cannot be read ({exc.strerror or exc})",
            fix="check that the file exists and that you may read it",
        ) from exc


class MappedFormat:
    """Any agency CSV or XLSX extract, read through a declared column mapping."""

    name: str = "mapped"
    description: str = "Agency CSV/XLSX extract read through a column mapping (docs/mapping.md)"
    agency: str = "declared in the mapping"
    default_source_system: str = "declared in the mapping"

    def sniff(self, path: Path, head: str) -> bool:
        """True when a sidecar mapping (``STEM.mapping.yaml``) sits beside the file."""
        return path.with_name(f"{path.stem}.mapping.yaml").is_file()

    def read(self, path: Path, reading: FileReading, options: LoadOptions) -> Iterator[Row]:
        if options.mapping is None:
            raise InputFileError(
                f"{path.name}: no column mapping was given",
                fix="give one with --mapping MAPPING.yaml, or put "
                f"{path.stem}.mapping.yaml beside the file",
            )
        mapping = check_mapping(options.mapping)
        agency = str(mapping["agency"])
        reading.agency = agency
        reading.source_system = options.source_system or str(mapping["source_system"])
        if _is_xlsx(path):
            return _xlsx_rows(path, mapping, agency)
        return _csv_rows(path, mapping, agency)


FORMAT: Final = MappedFormat()
