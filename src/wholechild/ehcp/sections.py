"""Placing spans of advice in the sections of a plan (A-K) and the four areas of need.

Deterministic cues, written as tables a caseworker can read:

1. The heading a span sits under (``HEADING_RULES``): "Outcomes" puts what follows in E,
   "Background" keeps it out of the draft, "Recommended provision" makes it provision.
2. The span's own words: an outcome ("By the end of Key Stage 2, Sam will ...") goes to E
   wherever it is; provision markers (how often: "weekly", "3 times a week"; who: "delivered by
   a qualified ...") make a recommendation provision.
3. The kind of advice: parents' and children's views are A; provision in health advice is G, in
   social care advice H2 (H1 for short breaks and the other CSDPA 1970 s.2 services), else F.
4. The area of need from professional vocabulary (``AREA_VOCABULARY``), then the heading's
   area, then the adviser's usual area (speech and language therapy: communication).

Another classifier (a sentence-embedding model) can sit behind ``SpanClassifier``; see
ADR 0010. Nothing here reads files or calls a network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from wholechild.ehcp.model import AdviceKind, NeedArea, Section

__all__ = [
    "AREA_VOCABULARY",
    "HEADING_RULES",
    "Context",
    "CueClassifier",
    "Placement",
    "Role",
    "SpanClassifier",
    "area_of",
    "heading_context",
    "is_outcome",
    "is_provision",
]


class Role(StrEnum):
    """What a heading says about the text under it."""

    BACKGROUND = "background"  # not drafted
    VIEWS = "views"  # A
    NEEDS = "needs"  # B
    HEALTH_NEEDS = "health needs"  # C
    SOCIAL_NEEDS = "social care needs"  # D
    OUTCOMES = "outcomes"  # E
    PROVISION = "provision"  # F, G or H by the kind of advice
    HEALTH_PROVISION = "health provision"  # G
    SOCIAL_PROVISION = "social care provision"  # H1 or H2
    PLACEMENT = "placement"  # I: left blank in a draft
    BUDGET = "personal budget"  # J


def _any(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")", re.IGNORECASE)


# First match wins: a heading "Social care provision" is provision before it is social care.
HEADING_RULES: tuple[tuple[re.Pattern[str], Role], ...] = (
    (_any("background", "context", "introduction", "reason for", "sources of",
          "assessment (?:methods|tools)", "consent", "contents", "purpose of", "history",
          "about this report", "date of", "references", "signature", "distribution"),
     Role.BACKGROUND),
    (_any("personal budget", "direct payment"), Role.BUDGET),
    (_any("placement", "name of (?:the )?(?:school|setting)", "type of (?:school|setting)"),
     Role.PLACEMENT),
    (_any("views", "aspiration", "interests", "what (?:is )?important", "about me",
          "what people (?:like|admire)", "hopes", "wishes", "my future"), Role.VIEWS),
    (_any("outcome", "target", "goals", "aims", "what .{0,30}achieve"), Role.OUTCOMES),
    (_any("short breaks?", "respite"), Role.SOCIAL_PROVISION),
    (_any("(?<!mental )health (?:provision|support|care provision)",
          "medical (?:provision|support)", "health care plan"), Role.HEALTH_PROVISION),
    (_any("social care (?:provision|support|services|plan)"), Role.SOCIAL_PROVISION),
    (_any("provision", "recommend", "support", "in place", "intervention",
          "strateg", "what (?:support|help)", "how .{0,30}(?:support|help)"), Role.PROVISION),
    (_any("(?<!mental )health", "medical", "diagnos"), Role.HEALTH_NEEDS),
    (_any("social care", "family (?:circumstances|situation)", "home (?:life|circumstances)",
          "care needs"), Role.SOCIAL_NEEDS),
    (_any("needs?\\b", "difficult", "presenting", "current (?:functioning|skills|attainment)",
          "assessment (?:findings|results)", "observations", "concerns", "profile", "attainment",
          "progress", "finds? (?:it )?(?:hard|difficult)", "strengths"), Role.NEEDS),
)  # fmt: skip

AREA_VOCABULARY: dict[NeedArea, re.Pattern[str]] = {
    NeedArea.COMMUNICATION_INTERACTION: _any(
        "speech", "language", "communicat", "social interaction", "interaction", "autis", "asd\\b",
        "asc\\b", "expressive", "receptive", "vocabular", "eye contact", "turn[- ]taking",
        "conversation", "stammer", "articulat", "pragmatic", "intelligib", "social skills",
        "listening", "verbal", "instructions"),
    NeedArea.COGNITION_LEARNING: _any(
        "reading", "read\\b", "literacy", "numeracy", "maths", "mathemat", "spelling", "phonic",
        "working memory", "memory", "processing speed", "dyslexi", "dyscalculi", "cognitive",
        "cognition", "learning", "attainment", "curriculum", "comprehension", "writ",
        "number", "problem[- ]solving", "reasoning", "retain"),
    NeedArea.SEMH: _any(
        "anxi", "emotion", "self[- ]esteem", "behaviou?r", "dysregulat", "regulat", "mental health",
        "friendship", "adhd", "attachment", "trauma", "anger", "angry", "withdrawn", "low mood",
        "self[- ]harm", "wellbeing", "well-being", "worr", "calm", "meltdown", "confidence",
        "exclusion", "attention", "impulsiv"),
    NeedArea.SENSORY_PHYSICAL: _any(
        "hearing", "deaf", "visual", "vision", "sensory", "motor", "handwriting", "coordination",
        "co-ordination", "mobility", "physical", "noise", "toilet", "fatigue", "wheelchair",
        "cerebral palsy", "hypermobil", "balance", "pencil grip", "dyspraxi", "posture",
        "physiotherap", "seating"),
}  # fmt: skip

KIND_AREA: dict[AdviceKind, NeedArea] = {
    AdviceKind.SPEECH_LANGUAGE: NeedArea.COMMUNICATION_INTERACTION,
    AdviceKind.EDUCATIONAL_PSYCHOLOGY: NeedArea.COGNITION_LEARNING,
    AdviceKind.OCCUPATIONAL_THERAPY: NeedArea.SENSORY_PHYSICAL,
}
# Needs written in health or social care advice are that advice's own section.
KIND_NEEDS = {AdviceKind.HEALTH: Section.C, AdviceKind.SOCIAL_CARE: Section.D}
VIEWS_KINDS = frozenset({AdviceKind.PARENT, AdviceKind.CHILD})

LABEL = re.compile(r"^[\w' ]{1,30}:\s*\S")
OUTCOME = re.compile(
    r"^(?:outcome\s*\d*\s*[:.-]\s*)?(?:by|within|at the end of|before|over) [^.]{0,80}?\bwill\b"
    r"|\bwill be able to\b|^outcome\s*\d*\s*:",
    re.IGNORECASE,
)
PROVIDED_TO_CHILD = re.compile(
    r"\bwill (?:receive|have access|be provided|be given|be offered|be supported by|attend)\b",
    re.IGNORECASE,
)
FREQUENCY = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|once|twice)\s*(?:x|times?|sessions?|hours?|minutes?)?\s*"
    r"(?:a|per|each|every)\s+(?:day|week|fortnight|month|term|half[- ]term|year)\b"
    r"|\b(?:daily|weekly|fortnightly|monthly|termly|annually)\b"
    r"|\bevery (?:day|morning|afternoon|week|lesson)\b"
    r"|\bevery (?:\d+|two|three|four|six) (?:days|weeks|months|terms)\b",
    re.IGNORECASE,
)
DELIVERER = _any(
    r"(?:delivered|provided|run|led|overseen|supervised|reviewed|carried out|designed) by",
    r"by (?:a|an|the) (?:qualified|specialist|trained|registered|experienced)",
)
RECOMMENDING = _any(
    "should",
    "will need",
    "needs? to",
    "requires?",
    "would benefit",
    "recommend",
    "to receive",
    "access to",
    "must",
    "will receive",
    "is to",
    "are to",
    "needs? (?:a|an)\\b",
    "programme",
    "sessions",
    "intervention",
    "support from",
    "small group",
    "1:1",
    "one[- ]to[- ]one",
)
BUDGET = _any("personal budget", "direct payment")
CSDPA_SERVICES = _any(
    "short break",
    "respite",
    "practical assistance in the home",
    "adaptations? to the home",
    "home adaptation",
    "travel assistance",
    "personal care at home",
    "overnight",
)
HEALTH_PROVISION = _any(
    "medication",
    "nurs",
    "paediatric",
    "camhs",
    "physiotherap",
    "dietit",
    "hospital",
    "epilepsy",
    "seizure",
    "gp\\b",
    "consultant",
)
HEALTH_NEED = _any(
    "diagnos",
    "epilep",
    "seizure",
    "asthma",
    "diabet",
    "allerg",
    "medication",
    "medical",
    "sleep",
    "continence",
    "eating",
    "weight",
    "cerebral palsy",
    "hearing loss",
)
SOCIAL_NEED = _any(
    "family",
    "home",
    "parent",
    "carer",
    "sibling",
    "short break",
    "respite",
    "social worker",
    "care package",
    "community",
    "independen",
)


@dataclass(frozen=True, slots=True)
class Context:
    """What the headings above a span say: its role and area of need."""

    role: Role | None = None
    area: NeedArea | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a span goes: its section (None: not drafted), area of need, and the deciding cue."""

    section: Section | None
    area: NeedArea | None = None
    reason: str = ""


class SpanClassifier(Protocol):
    """Anything that places a span of advice text in a plan's section."""

    def place(self, text: str, kind: AdviceKind, context: Context) -> Placement: ...


def heading_context(heading: str, previous: Context) -> Context:
    """The context a heading sets for the spans under it (an unknown heading refines the area)."""
    area = area_of(heading)
    for pattern, role in HEADING_RULES:
        if pattern.search(heading):
            return Context(role, area)
    if LABEL.match(heading):
        return previous  # "Author: ...", "Date of birth: ...": details, not a heading
    keep = previous.role not in (None, Role.BACKGROUND)
    if area is not None:
        return Context(previous.role if keep else Role.NEEDS, area)
    return previous if keep else Context()


def area_of(text: str, fallback: NeedArea | None = None) -> NeedArea | None:
    """The area of need whose vocabulary the text uses most (ties and none: the fallback)."""
    hits = {area: len(pattern.findall(text)) for area, pattern in AREA_VOCABULARY.items()}
    best = max(hits.values())
    leaders = [area for area, count in hits.items() if count == best]
    if best == 0 or (len(leaders) > 1 and fallback in leaders):
        return fallback
    return leaders[0]


def is_outcome(text: str) -> bool:
    return bool(OUTCOME.search(text)) and not PROVIDED_TO_CHILD.search(text)


def is_provision(text: str) -> bool:
    """How often or by whom, with a recommendation: provision wherever it is written."""
    strong = bool(FREQUENCY.search(text)) or bool(DELIVERER.search(text))
    return strong and bool(RECOMMENDING.search(text))


class CueClassifier:
    """The default classifier: the cues above, no model."""

    def place(self, text: str, kind: AdviceKind, context: Context) -> Placement:
        area = area_of(text, context.area or KIND_AREA.get(kind))
        if BUDGET.search(text):
            return Placement(Section.J, None, "personal budget")
        if kind in VIEWS_KINDS:
            return Placement(Section.A, None, f"{kind.value} views")
        if is_outcome(text):
            return Placement(Section.E, area, "outcome wording")
        role = context.role
        if role in (Role.PROVISION, Role.HEALTH_PROVISION, Role.SOCIAL_PROVISION) or (
            is_provision(text)
        ):
            return _provision(text, kind, role, area)
        if role is None:
            return _unheaded(text, kind, area)
        return _by_role(role, kind, area)


def _provision(text: str, kind: AdviceKind, role: Role | None, area: NeedArea | None) -> Placement:
    if CSDPA_SERVICES.search(text):
        return Placement(Section.H1, None, "CSDPA 1970 s.2 service")
    if role is Role.SOCIAL_PROVISION or kind is AdviceKind.SOCIAL_CARE:
        return Placement(Section.H2, None, "social care provision")
    if role is Role.HEALTH_PROVISION or kind is AdviceKind.HEALTH:
        return Placement(Section.G, None, "health provision")
    if HEALTH_PROVISION.search(text):
        return Placement(Section.G, None, "health provision wording")
    return Placement(Section.F, area, "special educational provision")


ROLE_SECTIONS: dict[Role, Section | None] = {
    Role.BACKGROUND: None,
    Role.VIEWS: Section.A,
    Role.NEEDS: Section.B,
    Role.HEALTH_NEEDS: Section.C,
    Role.SOCIAL_NEEDS: Section.D,
    Role.OUTCOMES: Section.E,
    Role.PLACEMENT: None,  # section I is the local authority's decision: left blank
    Role.BUDGET: Section.J,
}


def _by_role(role: Role, kind: AdviceKind, area: NeedArea | None) -> Placement:
    section = ROLE_SECTIONS[role]
    if section is Section.B and kind in KIND_NEEDS:
        section = KIND_NEEDS[kind]
    with_area = section in (Section.B, Section.E)
    return Placement(section, area if with_area else None, f"under a heading: {role.value}")


def _unheaded(text: str, kind: AdviceKind, area: NeedArea | None) -> Placement:
    """No heading to go by: needs by the kind of advice, when the words say so."""
    if kind is AdviceKind.HEALTH and (HEALTH_NEED.search(text) or area):
        return Placement(Section.C, None, "health advice")
    if kind is AdviceKind.SOCIAL_CARE and SOCIAL_NEED.search(text):
        return Placement(Section.D, None, "social care advice")
    if area_of(text) is not None and kind is not AdviceKind.SOCIAL_CARE:
        return Placement(Section.B, area, "vocabulary of an area of need")
    return Placement(None, None, "no cue")
