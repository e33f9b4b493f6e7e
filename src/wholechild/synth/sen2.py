"""The SEN2 return (2024 schema): one ``<Person>`` per child with an EHC request or plan."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Final

from lxml import etree

from wholechild.synth.errors import ERROR_RATES, Corruptor
from wholechild.synth.model import LA_CODE, Child
from wholechild.synth.services import SEN2_REFERENCE, EhcpCase
from wholechild.synth.truth import TruthLog
from wholechild.synth.xmlout import header_source, maybe, sub, xml_stream

FILE: Final = "sen2.xml"


def _person(child: Child, errors: Corruptor) -> etree._Element:
    person = etree.Element("Person")
    sub(person, "Surname", errors.surname(child, SEN2_REFERENCE))
    sub(person, "Forename", errors.forename(child))
    sub(person, "PersonBirthDate", errors.dob(child) or child.dob)
    sub(person, "Sex", child.sex)
    sub(person, "Ethnicity", child.ethnicity)
    sub(person, "PostCode", errors.address(child, SEN2_REFERENCE)[1])
    upn = errors.upn(child)
    maybe(person, "UPN", upn)
    maybe(person, "UniqueLearnerNumber", child.uln)
    if not upn:
        sub(person, "UPNunknown", "UN2" if child.age_on(SEN2_REFERENCE) < 5 else "UN5")
    return person


def _setting(parent: etree._Element, child: Child, rank: str) -> None:
    """Where the plan is delivered: the school's URN, or early years for the under-fives.

    The 2024 XSD requires SENSetting even beside a URN; a school placement is written as
    OTH with the URN (see docs/synthetic-council.md).
    """
    school = child.enrolments[-1].school if child.enrolments else None
    if school is not None:
        sub(parent, "URN", school.urn)
    sub(parent, "SENSetting", "OTH" if school is not None else "EYP")
    sub(parent, "PlacementRank", rank)


def _assessment(request: etree._Element, case: EhcpCase, child: Child) -> None:
    if not case.assessment_outcome:
        return
    assessment = sub(request, "Assessment")
    sub(assessment, "AssessmentOutcome", case.assessment_outcome)
    maybe(assessment, "AssessmentOutcomeDate", case.assessed)
    if case.assessment_outcome == "Y":
        sub(assessment, "Week20", "1" if case.week20 else "0")
    if case.plan_start is None:
        return
    plan = sub(assessment, "NamedPlan")
    sub(plan, "StartDate", case.plan_start)
    detail = sub(plan, "PlanDetail")
    _setting(detail, child, "1")
    sub(detail, "SENunitIndicator", "0")
    sub(detail, "ResourcedProvisionIndicator", "0")


def _active_plan(request: etree._Element, case: EhcpCase, child: Child) -> None:
    if case.plan_start is None:
        return
    active = sub(request, "ActivePlans")
    placement = sub(active, "PlacementDetail")
    _setting(placement, child, "1")
    entry = child.enrolments[-1].entry_date if child.enrolments else case.plan_start
    sub(placement, "EntryDate", entry)
    sub(placement, "SENunitIndicator", "0")
    sub(placement, "ResourcedProvisionIndicator", "0")
    for rank, need in enumerate(case.needs, start=1):
        sen_need = sub(active, "SENneed")
        sub(sen_need, "SENtype", need)
        sub(sen_need, "SENtypeRank", str(rank))
    if case.last_review is not None:
        sub(active, "ReviewMeeting", case.last_review)
        sub(active, "ReviewOutcome", "M")
        sub(active, "LastReview", case.last_review - timedelta(days=0))


def _request(person: etree._Element, case: EhcpCase, child: Child) -> None:
    request = sub(person, "Requests")
    sub(request, "ReceivedDate", case.received)
    sub(request, "RYA", "0")
    maybe(request, "RequestOutcomeDate", case.decided)
    sub(request, "RequestOutcome", case.request_outcome)
    _assessment(request, case, child)
    _active_plan(request, case, child)


def write_sen2(
    rng: random.Random, out_dir: Path, children: list[Child],
    cases: Mapping[str, EhcpCase], truth: TruthLog,
) -> None:  # fmt: skip
    errors = Corruptor(rng, ERROR_RATES["sen2"])
    header = etree.Element("Header")
    source = header_source(header, "SEN2", "2025", SEN2_REFERENCE, LA_CODE)
    sub(source, "DMO", "Y")
    sub(source, "DCO", "Y")
    with xml_stream(out_dir / FILE, "Message", "Persons", header) as write:
        for child in children:
            case = cases.get(child.child_id)
            if case is None:
                continue
            person = _person(child, errors)
            _request(person, case, child)
            write(person)
            truth.add(FILE, child.upn, child.child_id, errors.take_flags())
