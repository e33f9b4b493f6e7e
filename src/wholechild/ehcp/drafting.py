"""Drafting a plan from advice: every sentence cites the span(s) it came from.

A drafted sentence is one of two things, and nothing else:

- an **extract**: the words of one span of advice (white space tidied); or
- a **provision template** over one span: "What: <the span>; Who: ...; How often: ...;
  How long: ..." where each field is words taken from that span.

Everything a sentence says that could be wrong in a plan (numbers, how often, how long, group
sizes, qualifications and job titles, names) is a **fact** (``wholechild.ehcp.facts``, shared
with the quality checker); ``source_check`` lists each fact of a sentence that its cited spans
do not contain. Every drafted sentence passes through it, and so does anything a language model
rewords (``wholechild.ehcp.rephrase``): a rewording that fails keeps the advice's own words.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from wholechild.ehcp.facts import Fact, FactKind, extract, fact_values, quantities
from wholechild.ehcp.model import (
    AdviceDocument,
    DraftPlan,
    PlanSentence,
    Section,
    Span,
)
from wholechild.ehcp.rephrase import NoRephraser, Rephraser
from wholechild.ehcp.sections import (
    Context,
    CueClassifier,
    Placement,
    SpanClassifier,
    heading_context,
)
from wholechild.ehcp.spans import is_heading, is_list_item, split_spans, tidy

log = logging.getLogger(__name__)

__all__ = ["SourceProblem", "draft_plan", "place_spans", "source_check"]

WORD = re.compile(r"[a-z]+")
ROLE = (
    r"(?:therapist|teacher|assistant|psychologist|practitioner|nurse|worker|mentor|counsellor|"
    r"clinician|paediatrician|physiotherapist|SENCO|staff|adult|professional|team)s?\b"
)
# Who delivers: the subject of the sentence ("A teaching assistant ... should"), else "by ...".
WHO_SUBJECT = re.compile(rf"^(?:a|an|the|school)\s+[\w' -]{{0,40}}?{ROLE}", re.IGNORECASE)
WHO = re.compile(
    r"\b(?:delivered|provided|run|led|overseen|supervised|carried out|designed)?\s*"
    rf"(?:by|from|with)\s+(?:a|an|the|their|his|her)\s+[\w' -]{{0,60}}?{ROLE}",
    re.IGNORECASE,
)
QUANTITY_LABELS = (
    ("How often", FactKind.FREQUENCY),
    ("How long", FactKind.DURATION),
    ("Group size", FactKind.GROUP),
)
PROVISION_SECTIONS = frozenset({Section.F, Section.G, Section.H1, Section.H2})


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A fact of a drafted sentence that its cited spans lack (None: it cites nothing)."""

    fact: Fact | None

    @property
    def message(self) -> str:
        if self.fact is None:
            return "the sentence cites no advice"
        return f"{self.fact.kind.value} '{self.fact.text}' is not in the advice it cites"


def source_check(sentence: str, spans: Sequence[Span]) -> list[SourceProblem]:
    """Each fact of the sentence (number, frequency, duration, group size, qualification, name)
    that its cited spans do not contain; none: the sentence stands."""
    if not spans:
        return [SourceProblem(None)]
    source = " \n".join(tidy(span.text) for span in spans)
    cited = fact_values(source)
    words = set(WORD.findall(source.lower()))
    return [
        SourceProblem(fact)
        for fact in extract(sentence)
        if not (
            fact.value.lower() in words
            if fact.kind is FactKind.NAME
            else (fact.kind, fact.value.lower()) in cited
        )
    ]


def draft_plan(
    documents: Sequence[AdviceDocument],
    *,
    classifier: SpanClassifier | None = None,
    rephraser: Rephraser | None = None,
) -> DraftPlan:
    """A draft plan from advice: sections A-K (I left blank), each sentence citing its source."""
    sentences: dict[tuple[Section, str], PlanSentence] = {}
    for doc in documents:
        for span, placement in place_spans(doc, classifier or CueClassifier()):
            if placement.section is not None:
                _add(sentences, _sentence(span, placement))
        _add(sentences, _advice_listing(doc))
    drafted = _checked(list(sentences.values()))
    drafted = [_rephrased(s, rephraser or NoRephraser()) for s in drafted]
    order = list(Section)
    drafted.sort(key=lambda s: order.index(s.section))
    log.info("drafted %d sentences from %d documents", len(drafted), len(documents))
    return DraftPlan(sentences=drafted, advice=list(documents))


def place_spans(
    doc: AdviceDocument, classifier: SpanClassifier
) -> Iterator[tuple[Span, Placement]]:
    """Each span of a document with its placement; headings set the context of what follows."""
    context = Context()
    spans = split_spans(doc)
    for number, span in enumerate(spans):
        if number == 0 and is_heading(span.text):
            yield span, Placement(None, None, "title")  # "Health Advice": no section of its own
        elif _is_heading_span(doc, span, spans[number + 1 : number + 2]):
            context = heading_context(span.text, context)
            yield span, Placement(None, None, "heading")
        else:
            yield span, classifier.place(span.text, doc.kind, context)


def _is_heading_span(doc: AdviceDocument, span: Span, following: list[Span]) -> bool:
    """A heading line. A numbered one ("2. Background") only if it names a known heading and
    the next line is neither a plain heading nor the next number (else it is a list item)."""
    if not is_heading(span.text):
        return False
    if not is_list_item(doc.pages[span.page - 1], span):
        return True
    number = _item_number(doc, span)
    after = following[0] if following else None
    return (
        number is not None
        and after is not None
        and heading_context(span.text, Context()).role is not None
        and not (is_heading(after.text) and not is_list_item(doc.pages[after.page - 1], after))
        and _item_number(doc, after) != number + 1
    )


def _item_number(doc: AdviceDocument, span: Span) -> int | None:
    """The number of a numbered list item ("3." or "3)"), else None."""
    page = doc.pages[span.page - 1]
    prefix = page[page.rfind("\n", 0, span.start) + 1 : span.start].strip()
    found = re.fullmatch(r"\(?(\d{1,2})[.)]", prefix)
    return int(found.group(1)) if found else None


def _sentence(span: Span, placement: Placement) -> PlanSentence:
    assert placement.section is not None
    text = tidy(span.text)
    if placement.section in PROVISION_SECTIONS:
        text = _provision_template(text)
    key = f"{placement.section}|{span.doc_id}|{span.page}|{span.start}"
    return PlanSentence(
        section=placement.section,
        text=text,
        citations=(span,),
        area=placement.area,
        sentence_id=hashlib.sha256(key.encode()).hexdigest()[:12],
    )


def _provision_template(text: str) -> str:
    """What / Who / How often / How long / Group size, each field in the advice's own words."""
    fields = [("What", text.rstrip(". "))]
    who = WHO_SUBJECT.search(text) or WHO.search(text)
    if who:
        fields.append(("Who", who.group(0).strip()))
    found = quantities(text)
    for label, kind in QUANTITY_LABELS:
        words = [fact.text for fact in found if fact.kind is kind]
        if words:
            fields.append((label, ", ".join(words)))
    return "; ".join(f"{label}: {value}" for label, value in fields) + "."


def _advice_listing(doc: AdviceDocument) -> PlanSentence:
    """Section K: the advice, listed by its own title (its first span)."""
    title = split_spans(doc)[0]
    return PlanSentence(
        section=Section.K,
        text=tidy(title.text),
        citations=(title,),
        sentence_id=hashlib.sha256(f"K|{doc.doc_id}".encode()).hexdigest()[:12],
    )


def _add(sentences: dict[tuple[Section, str], PlanSentence], sentence: PlanSentence) -> None:
    """The same words in the same section from two pieces of advice: one sentence, two citations."""
    key = (sentence.section, sentence.text.lower())
    if sentence.section is Section.K:
        key = (Section.K, sentence.sentence_id)
    earlier = sentences.get(key)
    if earlier is None:
        sentences[key] = sentence
    elif sentence.citations[0] not in earlier.citations:
        sentences[key] = replace(earlier, citations=earlier.citations + sentence.citations)


def _rephrased(sentence: PlanSentence, rephraser: Rephraser) -> PlanSentence:
    """A model's wording only where it passes the same source check; else the advice's own."""
    if sentence.section is Section.K:
        return sentence
    candidate = rephraser.rephrase(sentence)
    if candidate.text == sentence.text or not source_check(candidate.text, sentence.citations):
        return replace(candidate, citations=sentence.citations, section=sentence.section)
    log.info(
        "kept the advice wording of sentence %s: the model's failed the source check",
        sentence.sentence_id,
    )
    return sentence


def _checked(sentences: list[PlanSentence]) -> list[PlanSentence]:
    """The last gate: a sentence with a fact its sources lack never reaches the draft."""
    kept = [s for s in sentences if not source_check(s.text, s.citations)]
    if len(kept) < len(sentences):
        log.warning("source check removed %d drafted sentences", len(sentences) - len(kept))
    return kept
