"""Annex A loader: the sample workbook, messy headers, unknown sheets, quarantined rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook, load_workbook

from conftest import sample_file
from wholechild.core.records import FileReading, Row, Severity
from wholechild.formats import LoadOptions, read_head
from wholechild.formats.annex_a import FORMAT

EXPECTED = {
    "List 1": "contacts",
    "List 2": "early_help_assessments",
    "List 3": "cin_episodes",
    "List 4": "cin_assessments",
    "List 5": "s47_enquiry",
    "List 6": "cin_plans",
    "List 7": "cp_plans",
    "List 8": "cla_episodes",
    "List 9": "care_leavers",
    "List 10": "adoption",
}


def sample() -> Path:
    return sample_file("annex_a", "Annex_A_2024_Jan.xlsx")


def read(path: Path) -> tuple[list[Row], FileReading]:
    assert FORMAT.sniff(path, read_head(path))
    reading = FileReading("annex-a", "annex_a", FORMAT.agency)
    return list(FORMAT.read(path, reading, LoadOptions())), reading


def test_every_list_row_of_the_sample_is_yielded_with_the_lists_event() -> None:
    path = sample()
    rows, reading = read(path)
    workbook = load_workbook(path, read_only=True)
    expected = sum(workbook[s].max_row - 1 for s in EXPECTED)
    assert len(rows) == expected
    kinds = {e.event_type for r in rows for e in r.events}
    assert kinds == set(EXPECTED.values())
    assert all(r.record is not None and r.record.source_key for r in rows)
    assert all(
        f.row is not None and f.field and f.field.startswith("List ")
        for r in rows
        for f in r.findings
    )
    assert any("List 11" in f.message and "adopters" in f.message for f in reading.file_findings)


def test_dropdown_prefixes_are_removed_from_sex_and_ethnicity_and_dates_parsed() -> None:
    rows, _ = read(sample())
    first = rows[0]
    assert first.number == 2
    assert first.record is not None
    assert (first.record.sex, first.record.ethnicity) == ("Female", "WBRI")
    assert first.events[0].start_date == date(2020, 9, 16)
    missing_dob = [f for r in rows for f in r.findings if f.rule == "date.missing"]
    assert [(f.row, f.field) for f in missing_dob] == [(3, "List 1: Contacts / Date of Birth")]


def test_messy_headers_unknown_sheets_and_rows_without_an_id(tmp_path: Path) -> None:
    workbook = Workbook()
    notes = workbook.active
    notes.title = "Guidance"
    notes.append(["Read me"])
    sheet = workbook.create_sheet("list 3 - Referrals")
    sheet.append(["Annex A return, January"])  # a title row above the header
    sheet.append(
        ["CHILD UNIQUE\nID", " gender ", "Ethnicity", "Date of\nBirth", "Date of referral"]
    )
    sheet.append(["C1", "c) Alien", "q) ZZZZ", "not a date", date(2024, 1, 5)])
    sheet.append([None, "a) Male", "a) WBRI", date(2010, 1, 1), date(2024, 1, 6)])
    sheet.append([None, None, None, None, None])
    sheet.append(["C3", "a) Male", "a) WBRI", date(2010, 1, 1), None])
    path = tmp_path / "annex.xlsx"
    workbook.save(path)
    rows, reading = read(path)
    assert [r.number for r in rows] == [3, 4, 6]
    assert rows[1].quarantined and rows[1].findings[0].severity is Severity.ERROR
    assert sorted(f.rule for f in rows[0].findings) == [
        "code.unknown",
        "code.unknown",
        "date.unparseable",
    ]
    assert rows[0].events[0].event_type == "cin_episodes"
    assert rows[2].findings[0].field == "List 3: Referrals / Date of referral"
    assert any(
        "Guidance" in f.message and f.severity is Severity.INFO for f in reading.file_findings
    )


def test_a_workbook_without_lists_is_not_annex_a(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.append(["PatientID", "DOB"])
    path = tmp_path / "health.xlsx"
    workbook.save(path)
    assert not FORMAT.sniff(path, read_head(path))
