"""CIN census loader: every sample file, schema choice, and crafted bad files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from conftest import sample_folder
from wholechild.core.records import FileReading, Row, Severity
from wholechild.errors import InputFileError
from wholechild.formats import LoadOptions, read_head
from wholechild.formats.cin import FORMAT, census_year, pick_schema
from wholechild.formats.sen2 import FORMAT as SEN2

SAMPLES = ["CIN_Census_2024.xml", "CIN_Census_2026.xml", "CIN2rows.xml", "fake_CIN_data.xml"]
EVENT_TYPES = {"cin_episodes", "cin_assessments", "cin_plans", "s47_enquiry", "cp_plans"}


def samples() -> Path:
    return sample_folder("cin")


def read(path: Path, options: LoadOptions | None = None) -> tuple[list[Row], FileReading]:
    reading = FileReading("cin", "cin_census", FORMAT.agency)
    return list(FORMAT.read(path, reading, options or LoadOptions())), reading


HEADER = """<Message>
  <Header>
    <CollectionDetails>
      <Collection>CIN</Collection>
      <Year>2023</Year>
      <ReferenceDate>2024-03-31</ReferenceDate>
    </CollectionDetails>
    <Source>
      <SourceLevel>L</SourceLevel>
      <LEA>201</LEA>
      <SoftwareCode>test</SoftwareCode>
      <Release>1</Release>
      <SerialNo>001</SerialNo>
      <DateTime>2025-04-01T10:00:00</DateTime>
    </Source>
  </Header>
  <Children>
"""
FOOTER = "  </Children>\n</Message>\n"
CHILD = """    <Child>
      <ChildIdentifiers>
        <LAchildID>{id}</LAchildID>
        <UPN>A123456789012</UPN>
        <PersonBirthDate>2015-03-27</PersonBirthDate>
        <GenderCurrent>1</GenderCurrent>
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
      </ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2024-05-01</CINreferralDate>
        <ReferralSource>1A</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode>
        <CINclosureDate>2024-09-01</CINclosureDate>
        <ReasonForClosure>RC1</ReasonForClosure>
        <ReferralNFA>0</ReferralNFA>
      </CINdetails>
    </Child>
"""
CPP = """<ReferralNFA>0</ReferralNFA>
        <ChildProtectionPlans>
          <CPPstartDate>2024-06-01</CPPstartDate>
          <CPPendDate>2024-05-01</CPPendDate>
          <InitialCategoryOfAbuse>PHY</InitialCategoryOfAbuse>
          <LatestCategoryOfAbuse>PHY</LatestCategoryOfAbuse>
          <NumberOfPreviousCPP>0</NumberOfPreviousCPP>
        </ChildProtectionPlans>"""


def child(number: int, old: str = "", new: str = "") -> str:
    return CHILD.format(id=f"LA{number:05d}").replace(old, new)


def cin_file(tmp_path: Path, children: list[str], name: str = "cin.xml") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(children) + FOOTER, encoding="utf-8")
    return path


def schema_problems(path: Path, xsd: Path) -> set[tuple[int, str]]:
    """The simple path: validate the whole tree at once, as (line, element) pairs."""
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    schema.validate(etree.parse(str(path)))
    return {(e.line, e.message.split("'")[1]) for e in schema.error_log}  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", SAMPLES)
def test_every_child_is_a_row_and_nothing_is_dropped(name: str) -> None:
    path = samples() / name
    assert FORMAT.sniff(path, read_head(path))
    assert not SEN2.sniff(path, read_head(path))
    rows, _ = read(path)
    children = etree.parse(str(path)).getroot().findall("Children/Child")
    assert len(rows) == len(children)
    assert [r.number for r in rows] == [c.sourceline for c in children]
    assert not any(r.quarantined for r in rows)
    assert all(r.record is not None and r.record.source_key for r in rows)
    assert all(f.row is not None and f.field for r in rows for f in r.findings)


@pytest.mark.parametrize("name", SAMPLES)
def test_every_schema_error_is_reported_where_it_is(name: str) -> None:
    path = samples() / name
    rows, reading = read(path)
    year = 2024 if name in {"CIN2rows.xml", "fake_CIN_data.xml"} else 2025
    expected = schema_problems(path, samples() / f"CIN_schema_{year}.xsd")
    reported = {(f.row, f.field) for r in rows for f in r.findings}
    reported |= {(f.row, f.field) for f in reading.file_findings}
    assert expected
    assert expected <= reported


def test_fake_data_faults_are_findings_on_their_rows() -> None:
    rows, reading = read(samples() / "fake_CIN_data.xml")
    assert len(rows) == 332
    rules = Counter(f.rule for r in rows for f in r.findings)
    assert rules["xsd"] == 402
    nfa = [f for r in rows for f in r.findings if f.field == "ReferralNFA"]
    assert all(f.severity is Severity.WARNING and "0, 1" in f.fix for f in nfa)
    assert [f.rule for f in reading.file_findings] == ["xsd.year"]


def test_2026_layout_events_and_date_checks() -> None:
    rows, reading = read(samples() / "CIN_Census_2026.xml")
    first = rows[0]
    assert first.record is not None
    assert first.record.la_child_id == "DfEX0000001"
    assert first.record.sex == "1"
    assert EVENT_TYPES | {"disability", "pre_proceedings"} <= {e.event_type for e in first.events}
    assessment = next(e for e in first.events if e.event_type == "cin_assessments")
    assert assessment.details["AssessmentFactors"] == ["1C", "RB", "6B"]
    by_field = {(f.rule, f.field) for f in first.findings}
    assert ("date.future", "AssessmentActualStartDate") in by_field
    assert ("date.order", "AssessmentAuthorisationDate") in by_field
    assert ("code.unknown", "Sex") in by_field
    assert [f.message for f in reading.file_findings] == [
        "the children use the 2025 layout; checked against 2025"
    ]


def test_messages_never_quote_a_childs_values() -> None:
    for name in SAMPLES:
        path = samples() / name
        rows, reading = read(path)
        values = {
            node.text.strip()
            for item in etree.parse(str(path)).iter("Child")
            for node in item.iter()
            if node.text and len(node.text.strip()) >= 3
        }
        messages = [f.message for r in rows for f in r.findings]
        messages += [f.message for f in reading.file_findings]
        assert messages
        assert not [m for m in messages for v in values if v in m]


def schema_2024() -> LoadOptions:
    return LoadOptions(extra={"xsd": str(samples() / "CIN_schema_2024.xsd")})


def test_a_clean_file_has_no_findings(tmp_path: Path) -> None:
    rows, reading = read(cin_file(tmp_path, [child(1), child(2)]), schema_2024())
    assert [r.record.source_key for r in rows if r.record] == ["LA00001", "LA00002"]
    assert [f for r in rows for f in r.findings] == []
    assert reading.file_findings == []


def test_a_bad_date_is_one_warning_and_the_child_still_loads(tmp_path: Path) -> None:
    bad = child(1, "2015-03-27", "2015-02-30")
    rows, _ = read(cin_file(tmp_path, [bad]), schema_2024())
    (row,) = rows
    assert row.record is not None and row.record.date_of_birth is None
    assert row.record.la_child_id == "LA00001"
    (finding,) = row.findings
    assert (finding.rule, finding.field, finding.severity) == (
        "date.unparseable",
        "PersonBirthDate",
        Severity.WARNING,
    )
    assert finding.row == row.number + 4


TEN_PROBLEMS = [
    ("2015-03-27", "2015-02-30"),
    ("<Ethnicity>WBRI", "<Ethnicity>XXXX"),
    ("<GenderCurrent>1", "<GenderCurrent>7"),
    ("<CINclosureDate>2024-09-01", "<CINclosureDate>2099-01-01"),
    ("<CINclosureDate>2024-09-01", "<CINclosureDate>2024-04-01"),
    ("<ReferralNFA>0", "<ReferralNFA>maybe"),
    ("<ReferralSource>1A</ReferralSource>", ""),
    ("<UPN>A123456789012</UPN>", "<UPN>A123456789012</UPN><Foo>1</Foo>"),
    ("<UPN>A123456789012", "<UPN>123"),
    ("<ReferralNFA>0</ReferralNFA>", CPP),
]


def test_ten_problems_are_ten_findings(tmp_path: Path) -> None:
    children = [child(i, old, new) for i, (old, new) in enumerate(TEN_PROBLEMS)]
    rows, reading = read(cin_file(tmp_path, children), schema_2024())
    findings = [f for r in rows for f in r.findings]
    assert len(rows) == 10 and not any(r.quarantined for r in rows)
    assert len(findings) == 10
    assert len({(f.row, f.field) for f in findings}) == 10
    assert all(len(r.findings) == 1 for r in rows)
    assert reading.file_findings == []


def test_malformed_xml_keeps_earlier_children_and_quarantines_the_rest(tmp_path: Path) -> None:
    broken = child(3, "<UPN>A123456789012</UPN>", "<UPN>A123456789012</Oops>")
    path = cin_file(tmp_path, [child(1), child(2), broken, child(4)])
    rows, _ = read(path)
    assert len(rows) == 3
    assert [r.record.source_key for r in rows[:2] if r.record] == ["LA00001", "LA00002"]
    last = rows[-1]
    assert last.quarantined
    text = path.read_text()
    assert (
        last.raw
        == text[text.index("    <Child>\n      <ChildIdentifiers>\n        <LAchildID>LA00003") :]
    )
    (finding,) = last.findings
    assert finding.severity is Severity.ERROR and finding.rule == "xml.malformed"
    assert finding.row == last.number + 3
    assert "closed by" in finding.message


def test_malformed_before_any_child_quarantines_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_text(HEADER.replace("<SerialNo>001</SerialNo>", "<SerialNo>001"), encoding="utf-8")
    rows, _ = read(path)
    (row,) = rows
    assert row.quarantined and row.number == 1
    assert row.raw == path.read_text()
    assert row.findings[0].severity is Severity.ERROR


def test_child_without_identity_loads_if_it_has_events(tmp_path: Path) -> None:
    anonymous = child(1, "<LAchildID>LA00001</LAchildID>", "").replace(
        "<UPN>A123456789012</UPN>", ""
    )
    anonymous = anonymous.replace("<PersonBirthDate>2015-03-27</PersonBirthDate>", "")
    empty = "    <Child>\n    </Child>\n"
    rows, _ = read(cin_file(tmp_path, [anonymous, empty]), LoadOptions(extra={"xsd": "-"}))
    loaded, quarantined = rows
    assert not loaded.quarantined and loaded.events
    assert [f.rule for f in loaded.findings] == ["identity.missing"]
    assert quarantined.quarantined and quarantined.raw.startswith("<Child>")
    assert [f.severity for f in quarantined.findings] == [Severity.ERROR]


def test_missing_schema_is_one_info_and_rows_still_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHOLECHILD_SAMPLES", str(tmp_path / "nowhere"))
    rows, reading = read(cin_file(tmp_path, [child(1, "<ReferralNFA>0", "<ReferralNFA>x")]))
    assert len(rows) == 1 and rows[0].record is not None
    assert rows[0].findings == []
    (info,) = reading.file_findings
    assert info.severity is Severity.INFO
    assert "schema not available" in info.message


def test_an_unopenable_file_is_an_input_file_error(tmp_path: Path) -> None:
    reading = FileReading("cin", "cin_census", FORMAT.agency)
    with pytest.raises(InputFileError):
        FORMAT.read(tmp_path / "absent.xml", reading, LoadOptions())


def _header(reference: str) -> etree._Element:
    xml = f"<Header><CollectionDetails>{reference}</CollectionDetails></Header>"
    return etree.fromstring(xml)


def _child_with(sex_tag: str) -> etree._Element:
    return etree.fromstring(f"<Child><ChildIdentifiers><{sex_tag}/></ChildIdentifiers></Child>")


@pytest.mark.parametrize(
    ("collection", "sex_tag", "year", "infos"),
    [
        ("<ReferenceDate>2025-03-31</ReferenceDate>", "Sex", 2025, 0),
        ("<ReferenceDate>2024-03-31</ReferenceDate>", "GenderCurrent", 2024, 0),
        ("<ReferenceDate>2026-03-31</ReferenceDate>", "Sex", 2026, 0),
        ("<Year>2024</Year>", "Sex", 2025, 0),
        ("<ReferenceDate>2024-03-31</ReferenceDate>", "Sex", 2025, 1),
        ("<ReferenceDate>2026-03-31</ReferenceDate>", "GenderCurrent", 2024, 1),
        ("<ReferenceDate>2022-07-21</ReferenceDate>", "GenderCurrent", 2024, 1),
        ("", "Sex", 2026, 1),
    ],
)
def test_schema_year_follows_the_census_year(
    collection: str, sex_tag: str, year: int, infos: int
) -> None:
    choice = pick_schema(LoadOptions(), _header(collection), _child_with(sex_tag))
    assert choice.path.name == f"CIN_schema_{year}.xsd"
    assert len(choice.findings) == infos
    assert census_year(_header("<ReferenceDate>2025-03-31</ReferenceDate>")) == 2025


def test_big_line_numbers_stay_exact(tmp_path: Path) -> None:
    padding = "\n" * 70_000
    path = cin_file(tmp_path, [padding, child(1, "<ReferralNFA>0", "<ReferralNFA>x")])
    (row,) = read(path, schema_2024())[0]
    (finding,) = row.findings
    assert row.number > 70_000
    assert finding.row == row.number + 15 and finding.field == "ReferralNFA"
