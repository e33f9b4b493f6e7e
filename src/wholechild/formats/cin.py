"""The DfE Children in Need census (CIN census) XML return: one row per ``<Child>``.

Mapping (events are named after the Data to Insight Standard Safeguarding Dataset tables):

* ``ChildIdentifiers`` -> the source record: ``LAchildID`` is both ``source_key`` and
  ``la_child_id``; ``UPN``, ``FormerUPN``, ``ULN`` (if present), ``PersonBirthDate``,
  ``Sex`` (2025 layout on, M/F/U) or ``GenderCurrent`` (2024 and before, 1/2/0/9) raw, and
  ``ChildCharacteristics/Ethnicity`` raw.
* each ``CINdetails`` -> ``cin_episodes`` (CINreferralDate to CINclosureDate, code
  PrimaryNeedCode; ReferralSource, ReasonForClosure, ReferralNFA, DateOfInitialCPC in details,
  with the child-level ``UPNunknown`` and ``ExpectedPersonBirthDate``), and inside it
  ``cin_assessments``, ``cin_plans``, ``s47_enquiry`` and ``cp_plans``. Each of those carries
  ``CINreferralDate`` in its details to tie it to its episode.
* ``PreProceedingsandFGDM`` (2026 drafts) -> ``pre_proceedings`` (PPStartDate, code PPOutcome).
* each ``Disability`` -> one ``disability`` event (code = the disability code, undated), as the
  SSD keeps disabilities in their own table rather than on an episode.
* ``PersonDeathDate`` -> one ``death`` event on that date.

The XSD is chosen by the census year: the year of the header's ``ReferenceDate`` (the census
of the year ending 31 March 2024 is checked against ``CIN_schema_2024.xsd``), else ``Year`` + 1,
clamped to the schemas held (2024-2026). If the children use the other sex field than that
schema (``Sex`` from 2025, ``GenderCurrent`` before), the nearest schema with the children's
layout is used instead, with an INFO finding saying so. ``options.extra["xsd"]`` overrides
the choice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from wholechild.core.codes import ETHNICITY
from wholechild.core.normalise import parse_date
from wholechild.core.records import EventIn, FileReading, Finding, Row, Severity, SourceRecordIn
from wholechild.formats import LoadOptions
from wholechild.formats._xml import (
    Element,
    FieldReader,
    SchemaChoice,
    XmlLayout,
    assemble_row,
    compact,
    iso,
    read_xml,
    schema_file,
    sniff_collection,
    text,
)

AGENCY = "children's social care"
LAYOUT = XmlLayout(container="Children", item="Child", noun="child")
SCHEMA_YEARS = (2024, 2025, 2026)
FIRST_SEX_YEAR = 2025  # the census that replaced GenderCurrent (1/2/0/9) with Sex (M/F/U)
# Sex as each layout codes it: GenderCurrent 1/2/0/9 (to 2024), Sex M/F/U (from 2025).
SEX_CODES = {"GenderCurrent": frozenset({"1", "2", "0", "9"}), "Sex": frozenset({"M", "F", "U"})}
PRE_PROCEEDINGS_DATES = (
    "LBPSentDate",
    "InitialPPMeetingDate",
    "StepDecisionDate",
    "CourtAppDate",
    "LetterInitCPDate",
)


def child_row(child: Element, number: int, raw: str) -> Row:
    """One ``<Child>`` as a row: the child as CIN sees them, and their episodes."""
    reader = FieldReader()
    ids, traits = child.find("ChildIdentifiers"), child.find("ChildCharacteristics")
    record = _record(ids, traits, reader)
    extras = {
        "UPNunknown": text(ids, "UPNunknown"),
        "ExpectedPersonBirthDate": iso(reader.date(ids, "ExpectedPersonBirthDate", future_ok=True)),
    }
    events = _person_events(ids, traits, reader)
    for details in child.iterfind("CINdetails"):
        events.extend(_episode_events(details, compact(extras), reader))
    return assemble_row(number, raw, record, events, reader, LAYOUT.noun)


def _record(ids: Element | None, traits: Element | None, reader: FieldReader) -> SourceRecordIn:
    la_child_id = text(ids, "LAchildID")
    sex_tag = "Sex" if ids is not None and ids.find("Sex") is not None else "GenderCurrent"
    return SourceRecordIn(
        source_key=la_child_id,
        la_child_id=la_child_id,
        upn=text(ids, "UPN"),
        former_upn=text(ids, "FormerUPN"),
        upn_unknown=text(ids, "UPNunknown"),
        uln=text(ids, "ULN") or text(ids, "UniqueLearnerNumber"),
        date_of_birth=reader.date(ids, "PersonBirthDate"),
        sex=reader.code(ids, sex_tag, SEX_CODES[sex_tag], "sex"),
        ethnicity=reader.code(traits, "Ethnicity", ETHNICITY, "ethnicity", width=4),
    )


def _person_events(
    ids: Element | None, traits: Element | None, reader: FieldReader
) -> list[EventIn]:
    events = [
        EventIn("disability", AGENCY, code=code.text.strip())
        for code in (traits.iterfind("Disabilities/Disability") if traits is not None else ())
        if code.text and code.text.strip()
    ]
    died = reader.date(ids, "PersonDeathDate")
    if died is not None:
        events.append(EventIn("death", AGENCY, start_date=died))
    return events


def _episode_events(details: Element, extras: dict[str, Any], reader: FieldReader) -> list[EventIn]:
    referral, closure = reader.period(details, "CINreferralDate", "CINclosureDate")
    facts = reader.values(details, ("ReferralSource", "PrimaryNeedCode", "ReasonForClosure"))
    facts["ReferralNFA"] = text(details, "ReferralNFA")
    facts["DateOfInitialCPC"] = iso(reader.date(details, "DateOfInitialCPC"))
    code = facts.get("PrimaryNeedCode")
    episode = EventIn("cin_episodes", AGENCY, referral, closure, code, compact({**facts, **extras}))
    link = compact({"CINreferralDate": iso(referral)})
    events = [episode]
    events += [_assessment(a, link, reader) for a in details.iterfind("Assessments")]
    events += [_cin_plan(p, link, reader) for p in details.iterfind("CINPlanDates")]
    events += [_s47(s, link, reader) for s in details.iterfind("Section47")]
    events += [_cp_plan(p, link, reader) for p in details.iterfind("ChildProtectionPlans")]
    events += [_pre_proceedings(p, link, reader) for p in details.iterfind("PreProceedingsandFGDM")]
    return events


def _assessment(node: Element, link: dict[str, Any], reader: FieldReader) -> EventIn:
    start, authorised = reader.period(
        node, "AssessmentActualStartDate", "AssessmentAuthorisationDate"
    )
    factors = [f.text.strip() for f in node.iterfind(".//AssessmentFactors") if f.text]
    details = {
        "AssessmentInternalReviewDate": iso(reader.date(node, "AssessmentInternalReviewDate")),
        "AssessmentFactors": [f for f in factors if f],
        **link,
    }
    return EventIn("cin_assessments", AGENCY, start, authorised, details=compact(details))


def _cin_plan(node: Element, link: dict[str, Any], reader: FieldReader) -> EventIn:
    start, end = reader.period(node, "CINPlanStartDate", "CINPlanEndDate")
    return EventIn("cin_plans", AGENCY, start, end, details=dict(link))


def _s47(node: Element, link: dict[str, Any], reader: FieldReader) -> EventIn:
    start = reader.date(node, "S47ActualStartDate")
    details = {
        "InitialCPCtarget": iso(reader.date(node, "InitialCPCtarget", future_ok=True)),
        "DateOfInitialCPC": iso(reader.date(node, "DateOfInitialCPC")),
        "ICPCnotRequired": text(node, "ICPCnotRequired"),
        **link,
    }
    return EventIn("s47_enquiry", AGENCY, start, details=compact(details))


def _cp_plan(node: Element, link: dict[str, Any], reader: FieldReader) -> EventIn:
    start, end = reader.period(node, "CPPstartDate", "CPPendDate")
    tags = ("InitialCategoryOfAbuse", "LatestCategoryOfAbuse", "NumberOfPreviousCPP")
    reviews = [reader.date_of(r, "CPPreviewDate") for r in node.iterfind("Reviews/CPPreviewDate")]
    details = {
        **reader.values(node, tags),
        "CPPreviewDates": [iso(r) for r in reviews if r],
        **link,
    }
    code = details.get("InitialCategoryOfAbuse")
    return EventIn("cp_plans", AGENCY, start, end, code, compact(details))


def _pre_proceedings(node: Element, link: dict[str, Any], reader: FieldReader) -> EventIn:
    """Pre-proceedings and family group decision making (new in the 2026 census drafts)."""
    start = reader.date(node, "PPStartDate")
    dates = {tag: iso(reader.date(node, tag, future_ok=True)) for tag in PRE_PROCEEDINGS_DATES}
    tags = ("FGDMMeetingOffer", "FGDMMeetingFac", "ReviewMeetingsCount", "PPOutcome")
    details = {**reader.values(node, tags), **dates, **link}
    return EventIn(
        "pre_proceedings", AGENCY, start, code=details.get("PPOutcome"), details=compact(details)
    )


# --- choosing the schema --------------------------------------------------------------------


def pick_schema(
    options: LoadOptions, header: Element | None, first_child: Element | None
) -> SchemaChoice:
    """The CIN XSD for this file's census year (see the module docstring)."""
    if options.extra.get("xsd"):
        return SchemaChoice(schema_file(options.extra, ""))
    findings: list[Finding] = []
    census = census_year(header)
    year = min(max(census or SCHEMA_YEARS[-1], SCHEMA_YEARS[0]), SCHEMA_YEARS[-1])
    if census is None:
        findings.append(_info(f"the header gives no census year; checked against {year}"))
    elif census != year:
        findings.append(_info(f"no schema is held for the {census} census; checked against {year}"))
    layout = _layout_year(first_child)
    if layout is not None and (layout >= FIRST_SEX_YEAR) != (year >= FIRST_SEX_YEAR):
        year = layout
        findings.append(_info(f"the children use the {year} layout; checked against {year}"))
    return SchemaChoice(schema_file(options.extra, f"cin/CIN_schema_{year}.xsd"), findings)


def census_year(header: Element | None) -> int | None:
    """The census year: ReferenceDate's year, else the header's Year (its start) + 1."""
    reference = parse_date(text(header, "CollectionDetails/ReferenceDate"))
    if reference is not None:
        return reference.year
    year = text(header, "CollectionDetails/Year")
    return int(year) + 1 if year is not None and year.isdigit() else None


def _layout_year(child: Element | None) -> int | None:
    """2025 (first with ``Sex``) or 2024 (last with ``GenderCurrent``), else ``None``."""
    ids = child.find("ChildIdentifiers") if child is not None else None
    if ids is None:
        return None
    if ids.find("Sex") is not None:
        return FIRST_SEX_YEAR
    return FIRST_SEX_YEAR - 1 if ids.find("GenderCurrent") is not None else None


def _info(message: str) -> Finding:
    fix = "check the header's ReferenceDate, or name the XSD to use"
    return Finding("xsd.year", message, fix, Severity.INFO)


@dataclass(frozen=True, slots=True)
class CinCensusFormat:
    """The ``cin`` format: a CIN census XML return."""

    name: str = "cin"
    description: str = "DfE Children in Need census XML return (one row per <Child>)"
    agency: str = AGENCY
    default_source_system: str = "cin_census"

    def sniff(self, path: Path, head: str) -> bool:
        return sniff_collection(head, "CIN")

    def read(self, path: Path, reading: FileReading, options: LoadOptions) -> Iterator[Row]:
        return read_xml(path, reading, LAYOUT, child_row, partial(pick_schema, options))


FORMAT = CinCensusFormat()
