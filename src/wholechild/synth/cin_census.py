"""The children in need census (DfE CIN census XML, 2026 schema): one ``<Child>`` per child."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from lxml import etree

from wholechild.synth.errors import ERROR_RATES, Corruptor
from wholechild.synth.model import LA_CODE, REFERENCE_DATE, Child
from wholechild.synth.services import YEAR_START, CinEpisode, SocialCare
from wholechild.synth.truth import TruthLog
from wholechild.synth.xmlout import header_source, maybe, sub, xml_stream

FILE: Final = "cin_census.xml"
_DISABILITY: Final = {
    "ASD": "AUT", "SLCN": "COMM", "PD": "MOB", "HI": "HEAR", "VI": "VIS", "MSI": "VIS",
    "MLD": "LD", "SLD": "LD", "PMLD": "PC", "SEMH": "BEH", "SPLD": "LD", "OTH": "DDA",
}  # fmt: skip


def _identifiers(parent: etree._Element, child: Child, errors: Corruptor) -> None:
    ids = sub(parent, "ChildIdentifiers")
    sub(ids, "LAchildID", child.la_child_id)
    upn = errors.upn(child)
    maybe(ids, "UPN", upn)
    maybe(ids, "FormerUPN", child.former_upn)
    if not upn:
        sub(ids, "UPNunknown", "UN2" if child.age_on(REFERENCE_DATE) < 5 else "UN5")
    sub(ids, "PersonBirthDate", errors.dob(child) or child.dob)
    sub(ids, "Sex", child.sex)


def _characteristics(parent: etree._Element, child: Child) -> None:
    chars = sub(parent, "ChildCharacteristics")
    sub(chars, "Ethnicity", child.ethnicity)
    if "disability" in child.needs:
        disabilities = sub(chars, "Disabilities")
        sub(disabilities, "Disability", _DISABILITY.get(child.sen_need, "DDA"))


def _details(parent: etree._Element, episode: CinEpisode) -> None:
    cin = sub(parent, "CINdetails")
    sub(cin, "CINreferralDate", episode.referral)
    sub(cin, "ReferralSource", episode.source)
    sub(cin, "PrimaryNeedCode", episode.need)
    maybe(cin, "CINclosureDate", episode.closure)
    maybe(cin, "ReasonForClosure", episode.closure_reason)
    if episode.s47 is not None:
        maybe(cin, "DateOfInitialCPC", episode.s47[1])
    if episode.assessment is not None:
        assessment = sub(cin, "Assessments")
        sub(assessment, "AssessmentActualStartDate", episode.assessment[0])
        maybe(assessment, "AssessmentAuthorisationDate", episode.assessment[1])
        factors = sub(assessment, "FactorsIdentifiedAtAssessment")
        for factor in episode.factors:
            sub(factors, "AssessmentFactors", factor)
    if episode.plan is not None:
        plan = sub(cin, "CINPlanDates")
        sub(plan, "CINPlanStartDate", episode.plan[0])
        maybe(plan, "CINPlanEndDate", episode.plan[1])
    _section47(cin, episode)
    sub(cin, "ReferralNFA", "1" if episode.nfa else "0")
    _cp_plan(cin, episode)


def _section47(cin: etree._Element, episode: CinEpisode) -> None:
    if episode.s47 is None:
        return
    s47 = sub(cin, "Section47")
    sub(s47, "S47ActualStartDate", episode.s47[0])
    maybe(s47, "DateOfInitialCPC", episode.s47[1])
    sub(s47, "ICPCnotRequired", "0")


def _cp_plan(cin: etree._Element, episode: CinEpisode) -> None:
    plan = episode.cp_plan
    if plan is None:
        return
    cpp = sub(cin, "ChildProtectionPlans")
    sub(cpp, "CPPstartDate", plan.start)
    maybe(cpp, "CPPendDate", plan.end)
    sub(cpp, "InitialCategoryOfAbuse", plan.category)
    sub(cpp, "LatestCategoryOfAbuse", plan.category)
    sub(cpp, "NumberOfPreviousCPP", "0")
    if plan.reviews:
        reviews = sub(cpp, "Reviews")
        for review in plan.reviews:
            sub(reviews, "CPPreviewDate", review)


def _in_year(episode: CinEpisode) -> bool:
    return episode.closure is None or episode.closure >= YEAR_START


def write_cin_census(
    rng: random.Random, out_dir: Path, children: list[Child],
    social_care: Mapping[str, SocialCare], truth: TruthLog,
) -> None:  # fmt: skip
    """Children with a CIN episode open at any time in the census year."""
    errors = Corruptor(rng, ERROR_RATES["cin_census"])
    header = etree.Element("Header")
    header_source(header, "CIN", "2025", REFERENCE_DATE, LA_CODE)
    with xml_stream(out_dir / FILE, "Message", "Children", header) as write:
        for child in children:
            record = social_care.get(child.child_id)
            episodes = [e for e in record.cin if _in_year(e)] if record else []
            if not episodes:
                continue
            element = etree.Element("Child")
            _identifiers(element, child, errors)
            _characteristics(element, child)
            for episode in episodes:
                _details(element, episode)
            write(element)
            truth.add(FILE, child.la_child_id, child.child_id, errors.take_flags())
