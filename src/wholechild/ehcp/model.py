"""The shapes the drafting assistant works with: advice documents split into spans, and a draft
plan whose every sentence cites the span(s) it came from (see GLOSSARY.md: Advice, Span,
Citation, Draft plan, Section)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Section(StrEnum):
    """The sections of an EHC plan (SEND Regulations 2014, reg. 12)."""

    A = "A"  # views, interests and aspirations of the child and parents / young person
    B = "B"  # special educational needs
    C = "C"  # health needs related to SEN
    D = "D"  # social care needs related to SEN or disability
    E = "E"  # outcomes
    F = "F"  # special educational provision
    G = "G"  # health provision
    H1 = "H1"  # social care provision under s.2 Chronically Sick and Disabled Persons Act 1970
    H2 = "H2"  # other social care provision
    I = "I"  # noqa: E741 - the statutory section letter; placement: left blank in a draft
    J = "J"  # personal budget
    K = "K"  # the advice and information obtained, listed


SECTION_TITLES: dict[Section, str] = {
    Section.A: "The views, interests and aspirations of the child and their parents",
    Section.B: "Special educational needs",
    Section.C: "Health needs related to special educational needs",
    Section.D: "Social care needs related to special educational needs or disability",
    Section.E: "Outcomes",
    Section.F: "Special educational provision",
    Section.G: "Health provision",
    Section.H1: "Social care provision (Chronically Sick and Disabled Persons Act 1970, s.2)",
    Section.H2: "Other social care provision",
    Section.I: "Placement",
    Section.J: "Personal budget",
    Section.K: "Advice and information",
}


class NeedArea(StrEnum):
    """The four broad areas of need (SEND Code of Practice 6.28)."""

    COMMUNICATION_INTERACTION = "communication_and_interaction"
    COGNITION_LEARNING = "cognition_and_learning"
    SEMH = "social_emotional_and_mental_health"
    SENSORY_PHYSICAL = "sensory_and_or_physical"


class AdviceKind(StrEnum):
    EDUCATIONAL_PSYCHOLOGY = "educational_psychology"
    SPEECH_LANGUAGE = "speech_and_language_therapy"
    HEALTH = "health"
    OCCUPATIONAL_THERAPY = "occupational_therapy"
    SOCIAL_CARE = "social_care"
    SCHOOL = "school"
    PARENT = "parent"
    CHILD = "child_or_young_person"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class AdviceDocument:
    """One piece of advice as read: its id (content hash), name, kind, author and text by page."""

    doc_id: str
    file_name: str
    kind: AdviceKind
    author: str | None
    pages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of an advice document: page (1-based) and character offsets within the page."""

    doc_id: str
    page: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Generation:
    """What a language model wrote: the model, its version and the SHA-256 of the prompt."""

    model: str
    model_version: str
    prompt_sha256: str
    original_text: str


@dataclass(frozen=True, slots=True)
class PlanSentence:
    """One sentence of a draft plan and the span(s) it came from (never empty in a draft)."""

    section: Section
    text: str
    citations: tuple[Span, ...]
    area: NeedArea | None = None
    sentence_id: str = ""
    generation: Generation | None = None  # set when a language model rephrased the sentence


@dataclass(frozen=True, slots=True)
class ClarificationRequest:
    """Advice too unspecific to draft from: a question to its author, never an invented number."""

    doc_id: str
    span: Span
    question: str


@dataclass(slots=True)
class DraftPlan:
    """A draft EHC plan: sentences by section, the advice listed (K), clarifications needed."""

    sentences: list[PlanSentence] = field(default_factory=list)
    advice: list[AdviceDocument] = field(default_factory=list)
    clarifications: list[ClarificationRequest] = field(default_factory=list)

    def section(self, section: Section) -> list[PlanSentence]:
        return [s for s in self.sentences if s.section is section]
