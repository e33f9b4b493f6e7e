"""The DfE SEN2 person-level return (EHC plans) as XML: one row per ``<Person>``.

Mapping (events are named after the Data to Insight Standard Safeguarding Dataset tables):

* ``Person`` -> the source record: ``Surname``, ``Forename``, ``PersonBirthDate``, ``Sex``
  (M/F/U) and ``Ethnicity`` raw, ``PostCode`` as one address, ``UPN``, ``UniqueLearnerNumber``.
  SEN2 gives a person no local id, so ``source_key`` is the ``UPN``, else the
  ``UniqueLearnerNumber`` (the two never collide: 13 characters with a letter, 10 digits),
  else ``None`` (the person is then linked on name, date of birth and postcode alone).
  ``UPNunknown`` (why there is no UPN) goes into the details of each ``ehcp_requests`` event.
* each ``Requests`` -> ``ehcp_requests`` (ReceivedDate to RequestOutcomeDate, code
  RequestOutcome; RYA, RequestMediation, RequestTribunal, Exported in details).
* ``Assessment`` -> ``ehcp_assessment`` dated by AssessmentOutcomeDate (the only date SEN2
  gives it), code AssessmentOutcome; Week20 and the mediation/tribunal flags in details.
* ``NamedPlan`` -> ``ehcp_named_plan`` (StartDate to CeaseDate; the PlanDetail list, PlanRes,
  PlanWBP, PB, OA, DP and CeaseReason in details).
* ``ActivePlans`` -> ``ehcp_active_plans`` (undated: SEN2 gives an active plan no start; the
  PlacementDetail and SENneed lists, ReviewMeeting, ReviewOutcome, LastReview in details), and
  one ``sen_need`` event per ``SENneed`` (code SENtype, SENtypeRank in details).

Every event carries the request's ``ReceivedDate`` in its details to tie it to its request.
The XSD is ``<samples>/sen2/SEN2_schema_2024.xsd`` unless ``options.extra["xsd"]`` names one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from wholechild.core.codes import ETHNICITY, SEN_NEED_TYPES
from wholechild.core.records import AddressIn, EventIn, FileReading, Row, SourceRecordIn
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

AGENCY = "SEND"
LAYOUT = XmlLayout(container="Persons", item="Person", noun="person")
SCHEMA = "sen2/SEN2_schema_2024.xsd"
SEX_CODES = frozenset({"M", "F", "U"})
REQUEST_FLAGS = ("RYA", "RequestMediation", "RequestTribunal", "Exported")
ASSESSMENT_FLAGS = (
    "AssessmentMediation",
    "AssessmentTribunal",
    "OtherMediation",
    "OtherTribunal",
    "Week20",
)
PLAN_FIELDS = ("PlanRes", "PlanWBP", "PB", "OA", "DP", "CeaseReason")
SETTING_FIELDS = (
    "URN",
    "UKPRN",
    "SENSetting",
    "SENSettingOther",
    "PlacementRank",
    "SENunitIndicator",
    "ResourcedProvisionIndicator",
)
PLACEMENT_FIELDS = (*SETTING_FIELDS, "Res", "WBP")


def person_row(person: Element, number: int, raw: str) -> Row:
    """One ``<Person>`` as a row: the person as SEN2 sees them, and their EHCP journey."""
    reader = FieldReader()
    record = _record(person, reader)
    upn_unknown = text(person, "UPNunknown")
    events: list[EventIn] = []
    for request in person.iterfind("Requests"):
        events.extend(_request_events(request, upn_unknown, reader))
    return assemble_row(number, raw, record, events, reader, LAYOUT.noun)


def _record(person: Element, reader: FieldReader) -> SourceRecordIn:
    upn, uln = text(person, "UPN"), text(person, "UniqueLearnerNumber")
    postcode = text(person, "PostCode")
    return SourceRecordIn(
        source_key=upn or uln,
        surname=text(person, "Surname"),
        forename=text(person, "Forename"),
        date_of_birth=reader.date(person, "PersonBirthDate"),
        sex=reader.code(person, "Sex", SEX_CODES, "sex"),
        ethnicity=reader.code(person, "Ethnicity", ETHNICITY, "ethnicity", width=4),
        upn=upn,
        uln=uln,
        upn_unknown=text(person, "UPNunknown"),
        addresses=[AddressIn(postcode=postcode)] if postcode else [],
    )


def _request_events(
    request: Element, upn_unknown: str | None, reader: FieldReader
) -> list[EventIn]:
    received, decided = reader.period(request, "ReceivedDate", "RequestOutcomeDate")
    details = {**reader.values(request, REQUEST_FLAGS), "UPNunknown": upn_unknown}
    outcome = text(request, "RequestOutcome")
    events = [EventIn("ehcp_requests", AGENCY, received, decided, outcome, compact(details))]
    link = compact({"ReceivedDate": iso(received)})
    assessment = request.find("Assessment")
    if assessment is not None:
        events.extend(_assessment_events(assessment, link, reader))
    active = request.find("ActivePlans")
    if active is not None:
        events.extend(_active_plan_events(active, link, reader))
    return events


def _assessment_events(
    assessment: Element, link: dict[str, Any], reader: FieldReader
) -> list[EventIn]:
    decided = reader.date(assessment, "AssessmentOutcomeDate")
    details = {**reader.values(assessment, ASSESSMENT_FLAGS), **link}
    outcome = text(assessment, "AssessmentOutcome")
    events = [EventIn("ehcp_assessment", AGENCY, decided, None, outcome, details)]
    plan = assessment.find("NamedPlan")
    if plan is not None:
        events.append(_named_plan(plan, link, reader))
    return events


def _named_plan(plan: Element, link: dict[str, Any], reader: FieldReader) -> EventIn:
    start, ceased = reader.period(plan, "StartDate", "CeaseDate")
    settings = [reader.values(d, SETTING_FIELDS) for d in plan.iterfind("PlanDetail")]
    details = {**reader.values(plan, PLAN_FIELDS), "PlanDetail": settings, **link}
    return EventIn("ehcp_named_plan", AGENCY, start, ceased, details=compact(details))


def _active_plan_events(
    active: Element, link: dict[str, Any], reader: FieldReader
) -> list[EventIn]:
    needs = [_need(n, link, reader) for n in active.iterfind("SENneed")]
    details = {
        "TransferLA": text(active, "TransferLA"),
        "PlacementDetail": [_placement(p, reader) for p in active.iterfind("PlacementDetail")],
        "SENneed": [
            compact({"SENtype": n.code, "SENtypeRank": n.details.get("SENtypeRank")}) for n in needs
        ],
        "ReviewMeeting": iso(reader.date(active, "ReviewMeeting")),
        "ReviewOutcome": text(active, "ReviewOutcome"),
        "LastReview": iso(reader.date(active, "LastReview")),
        **link,
    }
    return [EventIn("ehcp_active_plans", AGENCY, details=compact(details)), *needs]


def _placement(placement: Element, reader: FieldReader) -> dict[str, Any]:
    entered, left = reader.period(placement, "EntryDate", "LeavingDate")
    dates = {"EntryDate": iso(entered), "LeavingDate": iso(left)}
    return compact({**reader.values(placement, PLACEMENT_FIELDS), **dates})


def _need(need: Element, link: dict[str, Any], reader: FieldReader) -> EventIn:
    code = reader.code(need, "SENtype", SEN_NEED_TYPES, "SEN type")
    details = compact({"SENtypeRank": text(need, "SENtypeRank"), **link})
    return EventIn("sen_need", AGENCY, code=code, details=details)


def pick_schema(
    options: LoadOptions, header: Element | None, first_person: Element | None
) -> SchemaChoice:
    """The SEN2 XSD: only the 2024 schema is held, so every file is checked against it."""
    return SchemaChoice(schema_file(options.extra, SCHEMA))


@dataclass(frozen=True, slots=True)
class Sen2Format:
    """The ``sen2`` format: a SEN2 person-level XML return."""

    name: str = "sen2"
    description: str = "DfE SEN2 person-level EHCP return, XML (one row per <Person>)"
    agency: str = AGENCY
    default_source_system: str = "sen2"

    def sniff(self, path: Path, head: str) -> bool:
        return sniff_collection(head, "SEN2")

    def read(self, path: Path, reading: FileReading, options: LoadOptions) -> Iterator[Row]:
        return read_xml(path, reading, LAYOUT, person_row, partial(pick_schema, options))


FORMAT = Sen2Format()
