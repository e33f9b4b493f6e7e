"""Synthetic EHCP case histories, consistent with the synthetic council's SEN2 return.

The synthetic council writes ``sen2.xml``: each child's request, the decision, the plan and
its last review. This module reads that file and fills in the steps between, as a caseworker
would have recorded them: advice requested and received, the draft plan and the family's 15
days, exceptions for some late plans, annual reviews (some leading to amendments) and phase
transfers for children moving school next September. Some steps are late, as in life. The
result loads with ``actions.ehcp_cases.load_case_histories`` once the SEN2 file is ingested
and linked (cases find their person through the SEN2 source record's key: UPN, else ULN).

Same file and seed, same histories.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from lxml import etree

from wholechild.actions.ehcp_cases import CaseHistoryIn
from wholechild.ehcp.clocks import Step, default_spec
from wholechild.errors import InputFileError

__all__ = ["reference_of", "synthetic_case_histories"]

SOURCE_SYSTEM: Final = "sen2"
TEAMS: Final = {"North": 5, "South": 5, "Post-16": 3}
ADVISERS: Final = ("educational psychologist", "paediatrician", "speech and language therapist",
                   "social care")  # fmt: skip
TRANSFER_AGES: Final = {4: "phase", 11: "phase", 16: "post16"}  # age on 31 August
EXCEPTION_REASONS: Final = ("exceptional_personal_circumstances", "absent_from_area",
                            "early_years_closure", "school_closure")  # reg 13(3)  # fmt: skip
_ORDER: Final = {name: n for n, name in enumerate(default_spec().steps)}


@dataclass(frozen=True, slots=True)
class _Sen2Case:
    key: str
    birth: date
    received: date
    request_outcome: str
    decided: date | None
    plan_start: date | None
    ceased: date | None
    last_review: date | None
    needs: tuple[str, ...]
    urn: str | None


def _text(element: etree._Element, path: str) -> str | None:
    found = element.findtext(path)
    return found.strip() if found and found.strip() else None


def _date(element: etree._Element, path: str) -> date | None:
    value = _text(element, path)
    return date.fromisoformat(value) if value else None


def reference_of(sen2_xml: Path) -> date:
    """The SEN2 file's reference date (census day): the day the histories stand on."""
    root = etree.parse(str(sen2_xml)).getroot()
    found = _date(root, "Header/CollectionDetails/ReferenceDate")
    if found is None:
        raise InputFileError(f"{sen2_xml.name} has no ReferenceDate", fix="give a SEN2 file")
    return found


def _cases_in(sen2_xml: Path) -> Iterator[_Sen2Case]:
    for person in etree.parse(str(sen2_xml)).getroot().iterfind("Persons/Person"):
        key = _text(person, "UPN") or _text(person, "UniqueLearnerNumber")
        birth = _date(person, "PersonBirthDate")
        for request in person.iterfind("Requests"):
            received = _date(request, "ReceivedDate")
            if key is None or birth is None or received is None:
                continue
            yield _Sen2Case(
                key, birth, received, _text(request, "RequestOutcome") or "A",
                _date(request, "RequestOutcomeDate"),
                _date(request, "Assessment/NamedPlan/StartDate"),
                _date(request, "Assessment/NamedPlan/CeaseDate"),
                _date(request, "ActivePlans/ReviewMeeting"),
                tuple(t.text or "" for t in request.iterfind("ActivePlans/SENneed/SENtype")),
                _text(request, "Assessment/NamedPlan/PlanDetail/URN"),
            )  # fmt: skip


def _days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, high))


def _assessment(rng: random.Random, case: _Sen2Case, decided: date, final: date) -> list[Step]:
    """Advice, the draft and the final plan; an exception for some late plans."""
    draft = max(decided, final - _days(rng, 15, 24))
    steps = [Step("draft_plan_issued", draft), Step("final_plan_issued", final)]
    if final < draft + timedelta(days=15):  # a quick plan: the family answered early
        steps.append(Step("family_response_received", final))
    for adviser in rng.sample(ADVISERS, rng.randint(1, 3)):
        asked = min(decided + _days(rng, 1, 7), draft)
        steps.append(Step("advice_requested", asked, subject=adviser))
        steps.append(Step("advice_received", min(asked + _days(rng, 20, 55), draft),
                          subject=adviser))  # fmt: skip
    if final > case.received + timedelta(weeks=20) and rng.random() < 0.3:
        steps.append(Step("exception_recorded", min(decided + _days(rng, 1, 20), final),
                          clock="final_plan",
                          reason=rng.choice(EXCEPTION_REASONS),
                          evidence="synthetic: note on the case file"))  # fmt: skip
    return steps


def _reviews(rng: random.Random, plan: date, last: date | None, today: date) -> list[Step]:
    """Annual reviews up to the last one SEN2 reports; decisions in 2-6 weeks; some amend."""
    if last is None:
        return []
    meetings = [plan + timedelta(days=365 * n) - _days(rng, 0, 30)
                for n in range(1, (last - plan).days // 365)]  # fmt: skip
    steps: list[Step] = []
    for meeting in [*meetings, last]:
        decision = meeting + _days(rng, 14, 40)
        if decision > today:
            steps.append(Step("annual_review_meeting", meeting))
            continue
        amend = meeting != last and rng.random() < 0.3
        outcome = "amend" if amend else "maintain"
        steps += [
            Step("annual_review_meeting", meeting),
            Step("review_decision", decision, outcome=outcome),
        ]
        if amend:
            steps.append(Step("amendments_proposed", decision))
            issued = decision + _days(rng, 28, 70)
            if issued <= today:
                steps.append(Step("amended_plan_issued", issued))
    return steps


def _transfer(rng: random.Random, case: _Sen2Case, final: date, today: date) -> list[Step]:
    """A transfer next September for a child of transfer age; the plan amended, or not yet."""
    year = today.year if today.month < 9 else today.year + 1
    age = year - case.birth.year - ((case.birth.month, case.birth.day) > (8, 31))
    kind = TRANSFER_AGES.get(age)
    planned = max(date(year - 1, 9, 15), final + _days(rng, 1, 14))
    if kind is None or planned > today:
        return []
    steps = [Step("phase_transfer_planned", planned, transfer_year=year, transfer_kind=kind)]
    proposed = planned + _days(rng, 20, 80)
    if proposed <= today:
        steps.append(Step("amendments_proposed", proposed))
        issued = proposed + _days(rng, 20, 70)
        if issued <= today:
            steps.append(Step("amended_plan_issued", issued))
    return steps


def _history(rng: random.Random, case: _Sen2Case, today: date) -> list[Step]:
    steps = [Step("request_received", case.received)]
    if case.request_outcome in ("N", "W") and case.decided:
        return [*steps, Step("decision_not_to_assess", case.decided)]
    if case.request_outcome not in ("Y", "H"):
        return steps
    if case.plan_start is None:
        return [*steps, Step("decision_to_assess", case.decided)] if case.decided else steps
    decided = case.decided or min(case.received + _days(rng, 28, 45), case.plan_start)
    steps.append(Step("decision_to_assess", decided))
    steps += _assessment(rng, case, decided, case.plan_start)
    steps += _reviews(rng, case.plan_start, case.last_review, today)
    steps += _transfer(rng, case, case.plan_start, today)
    if case.ceased is not None and case.ceased >= case.plan_start:
        steps = [*(s for s in steps if s.on <= case.ceased), Step("plan_ceased", case.ceased)]
    return sorted(steps, key=lambda s: (s.on, _ORDER[s.step]))


def _allocate(rng: random.Random, case: _Sen2Case, today: date) -> tuple[str, str]:
    age = today.year - case.birth.year
    team = "Post-16" if age >= 16 else rng.choice(("North", "South"))
    return f"{team.lower().replace('-', '')}.cw{rng.randint(1, TEAMS[team]):02d}", team


def synthetic_case_histories(sen2_xml: Path, *, seed: int = 1) -> list[CaseHistoryIn]:
    """One case history per request in the synthetic council's SEN2 file."""
    rng = random.Random(f"wholechild-ehcp-cases:{seed}")  # noqa: S311 - synthetic data
    today = reference_of(sen2_xml)
    histories = []
    for case in _cases_in(sen2_xml):
        if case.received > today:  # after census day: not in this return
            continue
        caseworker, team = _allocate(rng, case, today)
        steps = tuple(s for s in _history(rng, case, today) if s.on <= today)
        histories.append(
            CaseHistoryIn(
                SOURCE_SYSTEM,
                case.key,
                caseworker,
                team,
                steps,
                tuple(n for n in case.needs if n),
                case.urn,
            )
        )
    return histories
