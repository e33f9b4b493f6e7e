"""What the council's own services did about each child: social care and EHC plans.

Drawn from the child's latent circumstances, so that events in the extracts carry signal
about them. The CIN census, SSDA903 and SEN2 writers read these facts; the other agencies'
extracts (health, police, early help) are drawn as they are written.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from wholechild.synth.model import REFERENCE_DATE, Child

YEAR_START: Final = date(2024, 4, 1)  # the CIN census year is 1 April 2024 - 31 March 2025
SEN2_REFERENCE: Final = date(2025, 1, 16)
_FACTORS: Final = {
    "domestic_abuse": ("3A", "3B"),
    "parental_mental_health": ("4B",),
    "parental_substance_misuse": ("1B", "2B"),
    "neglect": ("16A",),
    "disability": ("6A",),
    "sen": ("5A",),
    "poverty": ("20",),
}


_CEASED: Final = ("E11", "E12", "E41", "E13", "E4A")  # SSDA903 reasons an episode ceased
_CHANGE_REASONS: Final = ("CARPL", "CLOSE", "ALLEG", "STAND", "PLACE")


@dataclass(slots=True)
class CpPlan:
    start: date
    end: date | None
    category: str
    reviews: list[date]


@dataclass(slots=True)
class CinEpisode:
    referral: date
    source: str
    need: str
    closure: date | None = None
    closure_reason: str = ""
    nfa: bool = False
    assessment: tuple[date, date | None] | None = None
    factors: tuple[str, ...] = ()
    plan: tuple[date, date | None] | None = None
    s47: tuple[date, date | None] | None = None  # (start, date of initial conference)
    cp_plan: CpPlan | None = None


@dataclass(slots=True)
class LacEpisode:
    start: date
    reason_new: str
    legal_status: str
    placement: str
    provider: str
    end: date | None
    reason_end: str
    change_reason: str
    placement_postcode: str
    urn: str


@dataclass(slots=True)
class SocialCare:
    """Social care's record of one child in the collection years."""

    cin: list[CinEpisode] = field(default_factory=list)
    lac: list[LacEpisode] = field(default_factory=list)
    reviews: list[tuple[date, str]] = field(default_factory=list)
    missing: list[tuple[str, date, date | None]] = field(default_factory=list)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _plus(when: date, low: int, high: int, rng: random.Random) -> date:
    return when + timedelta(days=rng.randint(low, high))


def cin_probability(child: Child) -> float:
    """The true chance a child is in need during the year, from their circumstances."""
    held = child.circumstances
    score = -4.9 + 1.0 * len(held & set(_FACTORS)) + 1.4 * ("neglect" in held)
    return _sigmoid(score + 0.6 * ("disability" in held))


def social_care_for(rng: random.Random, child: Child) -> SocialCare | None:
    """The CIN (and, for some, looked-after) history of a child, or ``None``."""
    if child.dob > REFERENCE_DATE - timedelta(days=20) or rng.random() >= cin_probability(child):
        return None
    record = SocialCare()
    earliest = max(child.dob, YEAR_START - timedelta(days=300))
    referral = _plus(earliest, 0, max((REFERENCE_DATE - earliest).days - 5, 0), rng)
    record.cin.append(_episode(rng, child, referral))
    closed = record.cin[0].closure
    if closed is not None and closed < REFERENCE_DATE - timedelta(days=60) and rng.random() < 0.2:
        record.cin.append(_episode(rng, child, _plus(closed, 30, 60, rng)))
    cp = record.cin[-1].cp_plan
    if cp is not None and rng.random() < 0.55 + 0.3 * ("neglect" in child.circumstances):
        _looked_after(rng, child, record, _plus(cp.start, 20, 200, rng))
    if not any(e.closure is None or e.closure >= YEAR_START for e in record.cin):
        return None if not record.lac else record
    return record


def _episode(rng: random.Random, child: Child, referral: date) -> CinEpisode:
    held = child.circumstances
    source = rng.choice(("6", "6", "2A", "2A", "3A", "3B", "3E", "1A", "5D", "8", "9"))
    need = "N1" if held & {"neglect", "domestic_abuse"} else rng.choice(("N2", "N3", "N4", "N5"))
    episode = CinEpisode(referral, source, need)
    if rng.random() < 0.1:
        episode.nfa, episode.closure, episode.closure_reason = True, referral, "RC8"
        return episode
    start = _plus(referral, 0, 10, rng)
    authorised = _plus(start, 10, 45, rng)
    factors = tuple(f for key, codes in _FACTORS.items() if key in held for f in codes)
    episode.assessment = (start, authorised if authorised <= REFERENCE_DATE else None)
    episode.factors = factors or ("21",)
    if authorised > REFERENCE_DATE:
        return episode
    if not factors or rng.random() < 0.3:
        episode.closure, episode.closure_reason = authorised, rng.choice(("RC8", "RC9"))
        return episode
    _plans(rng, held, episode, authorised)
    return episode


def _plans(rng: random.Random, held: frozenset[str], episode: CinEpisode, after: date) -> None:
    if held & {"neglect", "domestic_abuse"} and rng.random() < 0.45:
        s47 = _plus(after, -20, 5, rng)
        conference = _plus(s47, 10, 21, rng)
        episode.s47 = (s47, conference if conference <= REFERENCE_DATE else None)
        if conference <= REFERENCE_DATE and rng.random() < 0.7:
            episode.cp_plan = _cp_plan(rng, held, conference)
            episode.closure = _end(rng, conference, 200, 500)
            episode.closure_reason = "RC7" if episode.closure else ""
            return
    plan_start = _plus(after, 1, 10, rng)
    if plan_start <= REFERENCE_DATE:
        episode.plan = (plan_start, _end(rng, plan_start, 90, 400))
        episode.closure = episode.plan[1]
        episode.closure_reason = "RC7" if episode.closure else ""


def _end(rng: random.Random, start: date, low: int, high: int) -> date | None:
    end = _plus(start, low, high, rng)
    return end if end <= REFERENCE_DATE else None


def _cp_plan(rng: random.Random, held: frozenset[str], start: date) -> CpPlan:
    category = "NEG" if "neglect" in held else rng.choice(("EMO", "EMO", "PHY", "MUL", "SAB"))
    end = _end(rng, start, 180, 480)
    reviews, when = [], start + timedelta(days=90)
    while when <= (end or REFERENCE_DATE):
        reviews.append(when)
        when += timedelta(days=182)
    return CpPlan(start, end, category, reviews)


def _looked_after(rng: random.Random, child: Child, record: SocialCare, start: date) -> None:
    """One period of care split into episodes by placement and legal-status changes."""
    if start > REFERENCE_DATE - timedelta(days=7):
        return
    legal = "V2" if rng.random() < 0.3 else "C2"
    reason = "S"
    while start <= REFERENCE_DATE:
        end = _end(rng, start, 60, 700)
        ends_care = end is not None and rng.random() < 0.35
        record.lac.append(
            LacEpisode(
                start, reason, legal, rng.choice(("U1", "U3", "U4", "U6", "K2", "R1", "P1")),
                rng.choice(("PR1", "PR1", "PR2", "PR3", "PR4")), end,
                rng.choice(_CEASED) if ends_care else ("X1" if end else ""),
                "" if ends_care or end is None else rng.choice(_CHANGE_REASONS),
                f"WH{rng.randint(1, 40)} {rng.randint(1, 9)}TT", f"SC{rng.randint(100000, 999999)}",
            )
        )  # fmt: skip
        if end is None or ends_care:
            break
        start, reason = end, "P"
    _care_reviews(rng, child, record)


def _care_reviews(rng: random.Random, child: Child, record: SocialCare) -> None:
    first, last = record.lac[0].start, record.lac[-1].end or REFERENCE_DATE
    when = first + timedelta(days=20)
    while when <= last:
        record.reviews.append((when, rng.choice(("PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"))))
        when += timedelta(days=120 if len(record.reviews) < 2 else 182)
    if child.age_on(REFERENCE_DATE) >= 12 and rng.random() < 0.25:
        for _ in range(rng.randint(1, 4)):
            went = _plus(first, 0, max((last - first).days, 0), rng)
            record.missing.append((rng.choice("MMA"), went, _end(rng, went, 0, 5)))


@dataclass(slots=True)
class EhcpCase:
    """One request for an EHC needs assessment and, usually, the plan that followed."""

    received: date
    request_outcome: str  # Y, N, A, W, H (SEN2 codes)
    decided: date | None
    assessment_outcome: str  # Y, N, A, W, H, or "" when no assessment
    assessed: date | None
    plan_start: date | None
    week20: bool
    needs: tuple[str, ...]
    last_review: date | None


def ehcp_case_for(rng: random.Random, child: Child) -> EhcpCase | None:
    """The EHC plan of a child with one, or a refused or pending request for a few others."""
    if child.sen_provision == "E":
        return _plan_case(rng, child)
    if child.sen_provision == "K" and child.age_on(SEN2_REFERENCE) >= 3 and rng.random() < 0.06:
        received = _plus(date(2024, 1, 1), 0, 364, rng)
        outcome = rng.choice("NNNAW")
        decided = _plus(received, 35, 50, rng) if outcome in "NW" else None
        return EhcpCase(received, outcome, decided, "", None, None, False, (child.sen_need,), None)
    return None


def _plan_case(rng: random.Random, child: Child) -> EhcpCase:
    earliest = child.dob + timedelta(days=365 * 2)
    plan_start = _plus(earliest, 0, max((SEN2_REFERENCE - earliest).days - 7, 0), rng)
    weeks = rng.choice((14, 17, 19, 20, 20, 22, 26, 30, 38, 45))
    received = plan_start - timedelta(days=weeks * 7 - rng.randint(0, 6))
    second = rng.choice(("SEMH", "SLCN", "MLD", "SPLD"))
    needs = (
        (child.sen_need,)
        if rng.random() < 0.6 or second == child.sen_need
        else (child.sen_need, second)
    )
    recent = received >= date(2024, 1, 1)
    review = plan_start + timedelta(days=365 * ((SEN2_REFERENCE - plan_start).days // 365))
    return EhcpCase(
        received, "Y" if recent else "H", _plus(received, 30, 55, rng) if recent else None,
        "Y" if recent else "H", plan_start - timedelta(days=rng.randint(0, 5)), plan_start,
        weeks <= 20, needs, review if review > plan_start else None,
    )  # fmt: skip
