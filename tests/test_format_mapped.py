"""Column-mapped agency extracts: mapping checks (all problems at once), CSV and XLSX."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from wholechild.core.records import FileReading, Row, Severity
from wholechild.errors import InputFileError
from wholechild.formats import LoadOptions
from wholechild.formats.mapped import FORMAT, load_mapping, mapping_problems

MAPPING: dict[str, Any] = {
    "source_system": "child_health",
    "agency": "health",
    "record": {
        "source_key": "PatientID",
        "nhs_number": "NHSNumber",
        "surname": "FamilyName",
        "date_of_birth": "DOB",
        "sex": "Gender",
        "postcode": "Postcode",
    },
    "events": [
        {
            "event_type": "health_contact",
            "start_date": "ContactDate",
            "code": "Type",
            "details": ["Service"],
        },
    ],
}
HEADER = "PatientID,NHSNumber,FamilyName,DOB,Gender,Postcode,ContactDate,Type,Service\n"


def read(path: Path, mapping: dict[str, Any] = MAPPING) -> tuple[list[Row], FileReading]:
    reading = FileReading("mapped", "unset", "unset")
    return list(FORMAT.read(path, reading, LoadOptions(mapping=mapping))), reading


def test_csv_rows_become_records_events_and_addresses(tmp_path: Path) -> None:
    path = tmp_path / "extract.csv"
    path.write_text(HEADER + "P1,9434765919,Smith,03/04/2015,F,SW1A 1AA,2024-01-02,GP,Clinic\n")
    rows, reading = read(path)
    (row,) = rows
    assert row.record is not None and row.record.date_of_birth == date(2015, 4, 3)
    assert row.record.addresses[0].postcode == "SW1A 1AA"
    assert row.events[0].details == {"Service": "Clinic"} and row.events[0].agency == "health"
    assert (reading.source_system, reading.agency, row.subject_key) == (
        "child_health",
        "health",
        "P1",
    )


def test_every_missing_column_is_listed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "extract.csv"
    path.write_text("patientid,DOB,Gender\nP1,2015-01-01,M\n")
    with pytest.raises(InputFileError) as caught:
        read(path)
    for column in ("NHSNumber", "FamilyName", "Postcode", "ContactDate", "Type", "Service"):
        assert column in caught.value.message
    assert "PatientID" not in caught.value.message  # matched whatever its case
    assert "6 mapped column(s)" in caught.value.message


def test_every_mapping_problem_is_reported_together() -> None:
    bad = {
        "agency": "astrology",
        "colour": "blue",
        "record": {"shoe_size": "Shoes", "surname": 7},
        "events": [{"start_date": "When"}, "nonsense"],
    }
    problems = mapping_problems(bad)
    assert len(problems) == 7, problems
    with pytest.raises(InputFileError) as caught:
        FORMAT.read(Path("unused.csv"), FileReading("m", "s", "a"), LoadOptions(mapping=bad))
    assert "7 problem(s)" in caught.value.message


def test_bad_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "m.mapping.yaml"
    path.write_text("source_system: x\nagency: health\nrecord:\n  surname: [unclosed\n")
    with pytest.raises(InputFileError, match="line"):
        load_mapping(path)
    path.write_text("source_system: x\nagency: health\nrecord:\n  surname: Surname\n")
    assert load_mapping(path)["record"] == {"surname": "Surname"}


def test_empty_and_ragged_rows_are_quarantined_and_bad_values_warn(tmp_path: Path) -> None:
    path = tmp_path / "extract.csv"
    path.write_text(HEADER + ",,,,,,,,\n" + "P2,1,Jones\n" + "P3,,Jones,32/01/2015,Q,,,,\n")
    rows, _ = read(path)
    assert [r.quarantined for r in rows] == [True, True, False]
    assert rows[1].raw == "P2,1,Jones"
    assert sorted((f.rule, f.field) for f in rows[2].findings) == [
        ("code.unknown", "Gender"),
        ("date.unparseable", "DOB"),
    ]
    assert all(f.severity is Severity.WARNING for f in rows[2].findings)


def test_xlsx_is_read_through_the_mapping_on_the_named_sheet(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.title = "Cover"
    sheet = workbook.create_sheet("Contacts")
    sheet.append(HEADER.strip().split(","))
    sheet.append(
        ["P1", 9434765919, "Smith", date(2015, 4, 3), "M", None, date(2024, 1, 2), "GP", "A"]
    )
    sheet.append([None] * 9)
    sheet.append(["P2", None, "Brown", "2016-05-06", "F", None, None, None, None])
    path = tmp_path / "extract.xlsx"
    workbook.save(path)
    rows, _ = read(path, {**MAPPING, "sheet": "contacts"})
    assert [r.number for r in rows] == [2, 4]
    assert rows[0].record is not None and rows[0].record.nhs_number == "9434765919"
    assert rows[0].events[0].start_date == date(2024, 1, 2)
    assert rows[1].events == [] and rows[1].record is not None
    with pytest.raises(InputFileError, match="Cover"):
        read(path, {**MAPPING, "sheet": "Nope"})


AGE_MAPPING: dict[str, Any] = {
    "source_system": "police",
    "agency": "police",
    "record": {
        "forename": "Forename",
        "date_of_birth": "DOB",
        "age": "AgeAtIncident",
        "age_on": "IncidentDate",
    },
    "events": [
        {"event_type": "police_notification", "start_date": "IncidentDate"},
    ],
}


def test_an_age_on_a_date_gives_a_window_of_dates_of_birth(tmp_path: Path) -> None:
    path = tmp_path / "police.csv"
    path.write_text(
        "Forename,DOB,AgeAtIncident,IncidentDate\n"
        "Amara,,10,01/06/2024\n"
        "Bea,,0,29/02/2024\n"
        "Cal,,,01/06/2024\n"
    )
    rows, _ = read(path, AGE_MAPPING)
    windows = [(r.record.dob_earliest, r.record.dob_latest) for r in rows if r.record]
    assert windows == [
        (date(2013, 6, 2), date(2014, 6, 1)),
        (date(2023, 3, 1), date(2024, 2, 29)),
        (None, None),
    ]
    assert [r.findings for r in rows] == [[], [], []]


@pytest.mark.parametrize(
    ("age", "on", "rule", "field"),
    [
        ("26", "01/06/2024", "age.range", "AgeAtIncident"),
        ("-1", "01/06/2024", "age.range", "AgeAtIncident"),
        ("ten", "01/06/2024", "age.range", "AgeAtIncident"),
        ("10.5", "01/06/2024", "age.range", "AgeAtIncident"),
        ("10", "31/02/2024", "age.no_date", "IncidentDate"),
    ],
)
def test_a_bad_age_is_a_finding_and_the_row_loads_without_it(
    tmp_path: Path, age: str, on: str, rule: str, field: str
) -> None:
    path = tmp_path / "police.csv"
    path.write_text(f"Forename,DOB,AgeAtIncident,IncidentDate\nAmara,,{age},{on}\n")
    (row,), _ = read(path, AGE_MAPPING)
    assert not row.quarantined and row.record is not None
    assert (row.record.dob_earliest, row.record.dob_latest) == (None, None)
    assert (rule, field, row.number) in [(f.rule, f.field, f.row) for f in row.findings]
    finding = next(f for f in row.findings if f.rule == rule)
    assert "loads without the age" in finding.fix and age not in finding.message


def test_an_age_needs_the_date_it_was_true() -> None:
    record = {"forename": "Forename", "age": "AgeAtIncident"}
    problems = mapping_problems({**AGE_MAPPING, "record": record})
    assert problems == ["record.age: give age and age_on (the date the age was true) together"]
