"""SEN2 loader: the public mockup return, and crafted bad files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from conftest import sample_file
from wholechild.core.records import FileReading, Row, Severity
from wholechild.formats import LoadOptions, read_head
from wholechild.formats.cin import FORMAT as CIN
from wholechild.formats.sen2 import FORMAT

MOCKUP = "SEN2-2024-mockup.xml"
XSD = "SEN2_schema_2024.xsd"
NO_SCHEMA = LoadOptions(extra={"xsd": "no-such-schema.xsd"})


def sen2_samples() -> Path:
    """The folder holding the SEN2 mockup and schema: ``<samples>/sen2``."""
    return sample_file("sen2", MOCKUP).parent


def mockup_options(folder: Path) -> LoadOptions:
    xsd = folder / XSD
    return LoadOptions(extra={"xsd": str(xsd)}) if xsd.is_file() else LoadOptions()


def read(path: Path, options: LoadOptions) -> tuple[list[Row], FileReading]:
    reading = FileReading("sen2", "sen2", FORMAT.agency)
    return list(FORMAT.read(path, reading, options)), reading


HEADER = """<Message>
  <Header>
    <CollectionDetails>
      <Collection>SEN2</Collection>
      <Year>2024</Year>
      <ReferenceDate>2024-01-18</ReferenceDate>
    </CollectionDetails>
    <Source>
      <LEA>201</LEA>
      <DMO>Y</DMO>
      <DCO>Y</DCO>
    </Source>
  </Header>
  <Persons>
"""
PERSON = """    <Person>
      <Surname>Surname{n}</Surname>
      <Forename>Forename{n}</Forename>
      <PersonBirthDate>2010-01-0{n}</PersonBirthDate>
      <Sex>F</Sex>
      <Ethnicity>WBRI</Ethnicity>
      <PostCode>AB1 2CD</PostCode>
      <UPN>A12345678901{n}</UPN>
      <Requests>
        <ReceivedDate>2023-09-01</ReceivedDate>
        <RequestOutcomeDate>2023-10-01</RequestOutcomeDate>
        <RequestOutcome>Y</RequestOutcome>
        <ActivePlans>
          <PlacementDetail>
            <SENSetting>OTH</SENSetting>
            <PlacementRank>1</PlacementRank>
            <EntryDate>2023-11-01</EntryDate>
            <SENunitIndicator>0</SENunitIndicator>
            <ResourcedProvisionIndicator>0</ResourcedProvisionIndicator>
          </PlacementDetail>
          <SENneed>
            <SENtype>ASD</SENtype>
            <SENtypeRank>1</SENtypeRank>
          </SENneed>
        </ActivePlans>
      </Requests>
    </Person>
"""
FOOTER = "  </Persons>\n</Message>\n"


def person(n: int, old: str = "", new: str = "") -> str:
    return PERSON.format(n=n).replace(old, new)


def sen2_file(tmp_path: Path, persons: list[str]) -> Path:
    path = tmp_path / "sen2.xml"
    path.write_text(HEADER + "".join(persons) + FOOTER, encoding="utf-8")
    return path


def test_the_mockup_loads_every_person_with_the_ehcp_journey() -> None:
    folder = sen2_samples()
    path = folder / MOCKUP
    assert FORMAT.sniff(path, read_head(path))
    assert not CIN.sniff(path, read_head(path))
    rows, _ = read(path, mockup_options(folder))
    assert len(rows) == len(etree.parse(str(path)).getroot().findall("Persons/Person"))
    first, second = rows
    assert first.record is not None and second.record is not None
    assert first.record.source_key == first.record.upn == "X123456789875"
    assert first.record.surname == "TestFamilyName1"
    assert [a.postcode for a in first.record.addresses] == ["AA11AA"]
    kinds = Counter(e.event_type for e in first.events)
    assert kinds == Counter(
        {
            "ehcp_requests": 1,
            "ehcp_assessment": 1,
            "ehcp_named_plan": 1,
            "ehcp_active_plans": 1,
            "sen_need": 2,
        }
    )
    needs = [(e.code, e.details["SENtypeRank"]) for e in first.events if e.event_type == "sen_need"]
    assert needs == [("SEMH", "1"), ("SPLD", "2")]
    plan = next(e for e in first.events if e.event_type == "ehcp_named_plan")
    assert len(plan.details["PlanDetail"]) == 2 and plan.details["CeaseReason"] == "4"
    assert Counter(e.event_type for e in second.events)["ehcp_requests"] == 2


def test_the_mockup_schema_errors_are_all_reported_where_they_are() -> None:
    folder = sen2_samples()
    if not (folder / XSD).is_file():
        pytest.skip(f"{XSD} not found beside the mockup in {folder}")
    rows, reading = read(folder / MOCKUP, mockup_options(folder))
    schema = etree.XMLSchema(etree.parse(str(folder / XSD)))
    schema.validate(etree.parse(str(folder / MOCKUP)))
    expected = {(e.line, e.message.split("'")[1]) for e in schema.error_log}  # type: ignore[attr-defined]
    reported = {(f.row, f.field) for r in rows for f in r.findings}
    assert len(expected) == 10
    assert expected == reported
    assert reading.file_findings == []


def test_a_missing_schema_is_one_info_finding(tmp_path: Path) -> None:
    rows, reading = read(sen2_file(tmp_path, [person(1)]), NO_SCHEMA)
    assert len(rows) == 1 and rows[0].findings == []
    (info,) = reading.file_findings
    assert info.severity is Severity.INFO and "schema not available" in info.message


def test_bad_values_are_warnings_on_rows_that_load(tmp_path: Path) -> None:
    persons = [
        person(1, "2010-01-01", "2010-13-45"),
        person(2, "<Sex>F", "<Sex>X"),
        person(3, "<SENtype>ASD", "<SENtype>ZZZ"),
        person(4, "<RequestOutcomeDate>2023-10-01", "<RequestOutcomeDate>2023-08-01"),
        person(5, "<Ethnicity>WBRI", "<Ethnicity>QQQQ"),
    ]
    rows, _ = read(sen2_file(tmp_path, persons), NO_SCHEMA)
    assert all(r.record is not None and not r.quarantined for r in rows)
    found = [(f.rule, f.field) for r in rows for f in r.findings]
    assert found == [
        ("date.unparseable", "PersonBirthDate"),
        ("code.unknown", "Sex"),
        ("code.unknown", "SENtype"),
        ("date.order", "RequestOutcomeDate"),
        ("code.unknown", "Ethnicity"),
    ]
    assert all(f.row is not None and f.row > r.number for r in rows for f in r.findings)
    assert rows[0].record is not None and rows[0].record.date_of_birth is None


def test_a_person_without_upn_or_uln_has_no_source_key_but_loads(tmp_path: Path) -> None:
    rows, _ = read(sen2_file(tmp_path, [person(1, "<UPN>A123456789011</UPN>", "")]), NO_SCHEMA)
    (row,) = rows
    assert row.record is not None and row.record.source_key is None
    assert row.record.forename == "Forename1" and row.findings == []


def test_a_person_with_no_identity_loads_only_if_it_has_events(tmp_path: Path) -> None:
    nameless = person(1)
    for tag in ("Surname", "Forename", "PersonBirthDate", "UPN"):
        start, end = nameless.index(f"<{tag}>"), nameless.index(f"</{tag}>") + len(tag) + 3
        nameless = nameless[:start] + nameless[end:]
    rows, _ = read(sen2_file(tmp_path, [nameless, "    <Person/>\n"]), NO_SCHEMA)
    loaded, quarantined = rows
    assert not loaded.quarantined and loaded.events
    assert [f.rule for f in loaded.findings] == ["identity.missing"]
    assert quarantined.quarantined
    assert [f.severity for f in quarantined.findings] == [Severity.ERROR]


def test_malformed_xml_keeps_earlier_persons_and_quarantines_the_rest(tmp_path: Path) -> None:
    broken = person(2, "<Sex>F</Sex>", "<Sex>F & M</Sex>")
    path = sen2_file(tmp_path, [person(1), broken])
    rows, _ = read(path, NO_SCHEMA)
    first, rest = rows
    assert first.record is not None and first.record.upn == "A123456789011"
    assert rest.quarantined
    text = path.read_text()
    assert rest.raw == text[text.index("    <Person>\n      <Surname>Surname2") :]
    (finding,) = rest.findings
    assert finding.severity is Severity.ERROR and finding.row == rest.number + 4
    assert "&amp;" in finding.message
