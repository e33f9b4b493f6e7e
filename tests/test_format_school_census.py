"""School census loader: every sample table, sniffing by header, crafted bad files."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from conftest import sample_folder
from wholechild.core.records import FileReading, Row, Severity
from wholechild.formats import LoadOptions, read_head
from wholechild.formats.school_census import FORMAT


def samples() -> Path:
    return sample_folder("school_census")


def read(path: Path) -> list[Row]:
    assert FORMAT.sniff(path, read_head(path))
    return list(
        FORMAT.read(path, FileReading("school-census", "school_census", "education"), LoadOptions())
    )


def data_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


@pytest.mark.parametrize(
    ("name", "event_type", "person"),
    [
        ("2024_autumn_pupilonroll.csv", "school_enrolment", True),
        ("2024_autumn_pupilnolongeronroll.csv", "school_enrolment", True),
        ("2024_autumn_termlyexclusionsonroll.csv", "exclusion", False),
        ("2025_spring_senneeds.csv", "sen_need", False),
        ("2024_autumn_addressesoffroll.csv", "address", False),
    ],
)
def test_every_sample_row_is_yielded_with_its_events(
    name: str, event_type: str, person: bool
) -> None:
    path = samples() / name
    rows = read(path)
    assert len(rows) == data_rows(path)
    assert all(any(e.event_type == event_type for e in r.events) for r in rows)
    assert all((r.record is not None) is person for r in rows)
    assert all((r.subject_key is None) is person for r in rows)
    assert all(f.row is not None and f.field for r in rows for f in r.findings)


def test_pupil_rows_carry_names_identifiers_dates_and_attendance() -> None:
    rows = read(samples() / "2024_autumn_pupilnolongeronroll.csv")
    record = rows[0].record
    assert record is not None
    assert (record.source_key, record.date_of_birth) == ("01080e0c-45b", date(2012, 1, 21))
    assert (record.surname, record.preferred_surname, record.former_surname) == (
        "SUR9125",
        "PSUR6605",
        "FSUR9602",
    )
    assert (record.upn, record.former_upn, record.uln) == (
        "5ff4489b-998",
        "a3cb1dfc-942",
        "7c93a96f-2",
    )
    enrolment, attendance = rows[0].events
    assert (enrolment.code, enrolment.start_date, enrolment.end_date) == (
        "SCH5",
        date(2024, 7, 3),
        date(2024, 12, 3),
    )
    assert attendance.details["termlysessionspossible"] == 132


def test_obfuscated_sen_types_are_reported_as_unknown_codes() -> None:
    rows = read(samples() / "2025_spring_senneeds.csv")
    assert all(
        [(f.rule, f.field, f.severity) for f in r.findings]
        == [("code.unknown", "sentype", Severity.WARNING)]
        for r in rows
    )


def test_sniffs_by_header_not_by_file_name(tmp_path: Path) -> None:
    path = tmp_path / "school_census_pupilonroll.csv"
    path.write_text((samples() / "2024_autumn_pupilonroll.csv").read_text().splitlines()[0] + "\n")
    renamed = tmp_path / "anything.csv"
    renamed.write_text(path.read_text())
    assert FORMAT.sniff(renamed, read_head(renamed))
    other = tmp_path / "school_census_episodes.csv"
    other.write_text("CHILD,DECOM,RNE,LS,CIN,DEC,REC\n")
    assert not FORMAT.sniff(other, read_head(other))


def test_bad_exclusion_rows_report_each_problem_and_quarantine_what_cannot_load(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ex.csv"
    path.write_text(
        "pupilonrolltableid,NativeId,termlyexclusionsonrolltableid,termlyexclusionsonrollorderseqcolumn,"
        "sourceid,startdate,sessions,reason1,reason2,reason3,category,senprovision\n"
        "a,SCH1,e1,1,s,2024-Feb-30 00:00:00,ten,PP,,,NOPE,\n"
        ",SCH1,e2,1,s,2024-Feb-01 00:00:00,1,PP,,,PERM,\n"
        "c,SCH1,e3\n"
    )
    rows = read(path)
    assert [r.quarantined for r in rows] == [False, True, True]
    assert sorted(f.field or "" for f in rows[0].findings) == ["category", "sessions", "startdate"]
    assert rows[0].events[0].start_date is None and rows[0].events[0].code == "NOPE"
    assert rows[2].raw == "c,SCH1,e3"
