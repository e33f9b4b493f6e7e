"""SSDA903 loader: every sample file kind, the XML return, and crafted bad files."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from conftest import sample_folder
from wholechild.core.records import FileReading, Row, Severity
from wholechild.formats import LoadOptions, read_head
from wholechild.formats.ssda903 import FORMAT


def samples() -> Path:
    return sample_folder("ssda903")


def read(path: Path) -> tuple[list[Row], FileReading]:
    reading = FileReading("ssda903", "ssda903", FORMAT.agency)
    assert FORMAT.sniff(path, read_head(path))
    return list(FORMAT.read(path, reading, LoadOptions())), reading


def data_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


EVENT_FILES = [
    ("episodes.csv", "cla_episodes"),
    ("reviews.csv", "cla_reviews"),
    ("missing.csv", "missing"),
    ("uasc.csv", "uasc"),
    ("oc2.csv", "cla_outcomes"),
    ("oc3.csv", "care_leavers"),
    ("ad1.csv", "adoption"),
    ("placed_for_adoption.csv", "placed_for_adoption"),
    ("previous_permanence.csv", "previous_permanence"),
    ("sw_episodes.csv", "sw_episodes"),
]


@pytest.mark.parametrize(("name", "event_type"), EVENT_FILES)
def test_event_files_yield_every_row_as_events_for_the_child(name: str, event_type: str) -> None:
    path = samples() / name
    rows, _ = read(path)
    assert len(rows) == data_rows(path)
    assert all(row.record is None and row.subject_key for row in rows)
    assert all(any(e.event_type == event_type for e in row.events) for row in rows)
    assert all(f.row is not None and f.field for row in rows for f in row.findings)


def test_header_file_yields_one_person_per_row_keyed_by_child() -> None:
    path = samples() / "header.csv"
    rows, reading = read(path)
    assert len(rows) == data_rows(path)
    assert all(r.record is not None and r.record.source_key == r.record.la_child_id for r in rows)
    assert all(r.record is not None and r.record.date_of_birth is not None for r in rows)
    assert any("header" in f.message for f in reading.file_findings)


def test_episode_start_and_end_dates_and_home_postcode_become_an_address() -> None:
    rows, _ = read(samples() / "episodes.csv")
    episode = rows[0].events[0]
    assert (episode.start_date, episode.end_date) == (date(2016, 2, 15), date(2017, 8, 14))
    assert episode.details["PLACE"] == "T2" and episode.code == "T2"
    addresses = [e for r in rows for e in r.events if e.event_type == "address"]
    assert addresses and all(a.details["source_field"] == "HOME_POST" for a in addresses)


def test_sw_episodes_header_with_a_bom_is_recognised() -> None:
    rows, _ = read(samples() / "sw_episodes.csv")
    assert rows[0].subject_key == "CHILD10"


def test_xml_return_yields_one_row_per_child_with_all_their_events() -> None:
    path = samples() / "fake_903.xml"
    rows, _ = read(path)
    assert len(rows) == path.read_text().count("<CHILD>")
    kinds = Counter(e.event_type for r in rows for e in r.events)
    assert kinds["cla_episodes"] == path.read_text().count("<EPISODE>")
    assert kinds["cla_reviews"] == path.read_text().count("<AREVIEW>")
    assert all(r.record is not None and r.record.source_key for r in rows)


def test_ragged_lines_are_quarantined_with_their_raw_content(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(
        "CHILD,DOB,REVIEW,REVIEW_CODE\n"
        "1,01/01/2010,01/02/2020,PN1\n"
        "2,01/01/2010,01/02/2020,PN1,EXTRA\n"
        "3,01/01/2010\n"
        '4,01/01/2010,"01/02/2020",PN2\n'
    )
    rows, _ = read(path)
    assert [r.number for r in rows] == [1, 2, 3, 4]
    bad = [r for r in rows if r.quarantined]
    assert [r.raw for r in bad] == ["2,01/01/2010,01/02/2020,PN1,EXTRA", "3,01/01/2010"]
    assert all(
        f.severity is Severity.ERROR and f.rule == "csv.shape" for r in bad for f in r.findings
    )
    assert rows[3].raw == '4,01/01/2010,"01/02/2020",PN2'


def test_ten_problems_give_ten_findings_naming_row_and_field_not_values(tmp_path: Path) -> None:
    path = tmp_path / "episodes.csv"
    path.write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "1,31/02/2020,Q,C2,N3,T2,PR0,,X1,,,,\n"  # bad DECOM, bad RNE
        "2,01/01/2020,P,ZZ,N9,T2,PR0,notadate,X1,,,,\n"  # bad LS, CIN, DEC
        ",01/01/2020,P,C2,N3,T2,PR0,,X1,,,,\n"  # no CHILD
        "4,,P,C2,N3,QQ,PR0,,X1,,,,\n"  # missing DECOM, bad PLACE
        "5,01/01/2020,P,C2\n"  # ragged
        "6,01/01/2020,P,C2,N3,T2,PR0,2021-13-45,X1,,,,\n"  # bad DEC
    )
    rows, _ = read(path)
    findings = [f for r in rows for f in r.findings]
    assert len(findings) == 10
    assert all(f.row is not None for f in findings)
    assert {f.field for f in findings} == {
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "DEC",
        "CHILD",
        "PLACE",
        None,
    }
    assert not any("31/02/2020" in f.message or "notadate" in f.message for f in findings)
    assert len(rows) == 6 and sum(r.quarantined for r in rows) == 2


def test_bad_dates_warn_and_the_row_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n7,3,99/99/2010,XXXX,A1,,\n")
    rows, _ = read(path)
    assert rows[0].record is not None and rows[0].record.date_of_birth is None
    assert rows[0].record.sex == "3"  # kept as received
    rules = sorted((f.rule, f.field, f.severity) for f in rows[0].findings)
    assert rules == [
        ("code.unknown", "ETHNIC", Severity.WARNING),
        ("code.unknown", "SEX", Severity.WARNING),
        ("date.unparseable", "DOB", Severity.WARNING),
    ]


def test_files_of_other_formats_are_not_taken_for_ssda903(tmp_path: Path) -> None:
    path = tmp_path / "ssda903_header.csv"
    path.write_text("pupilonrolltableid,dob,upn\nx,2012-Jan-21 00:00:00,A\n")
    assert not FORMAT.sniff(path, read_head(path))
