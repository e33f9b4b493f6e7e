"""The quality checker for a draft EHC plan: deterministic rules, each finding pointing at a
sentence (or, for a dropped quantity, at the advice it came from).

Three families of rule, written as tables below so that caseworkers and auditors can read them:

- **Source rules** (critical): every number, frequency, duration, group size, qualification and
  name in the draft must be in the advice; every sentence must cite it. A quantity the advice
  gives that the draft dropped is standard.
- **Section F rules** (standard): each provision says what, who, how often, for how long and in
  what group size or ratio, without vague wording ("access to", "regular", "up to"...).
- **Thread rules** (standard): every need in B has provision in F and an outcome in E; outcomes
  are specific and time-bound; provision that educates or trains sits in F, not G.

``clarifications`` turns advice that is itself unspecific (vague wording, or a recommendation
that says neither how often nor how long) into questions to its author: the checker never fills
a gap with a number of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from wholechild.ehcp.facts import (
    QUANTITY_KINDS,
    Fact,
    FactKind,
    extract,
    fact_values,
    qualifications,
    quantities,
)
from wholechild.ehcp.model import (
    AdviceDocument,
    ClarificationRequest,
    DraftPlan,
    NeedArea,
    PlanSentence,
    Section,
    Span,
)
from wholechild.ehcp.spans import is_heading, split_spans

__all__ = [
    "RULES",
    "VAGUE_WORDING",
    "QualityFinding",
    "Rule",
    "Severity",
    "check_plan",
    "clarifications",
    "vague_phrases",
]


class Severity(StrEnum):
    CRITICAL = "critical"  # the draft says something the advice does not: fix before sharing
    STANDARD = "standard"  # a gap a tribunal would criticise: fix before the draft is final
    INFO = "info"  # worth knowing


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    severity: Severity
    description: str
    fix: str


_C, _S, _I = Severity.CRITICAL, Severity.STANDARD, Severity.INFO
RULES: Final[dict[str, Rule]] = {
    rule.rule_id: rule
    for rule in (
        Rule("uncited_sentence", _C, "A sentence cites no advice.",
             "Link the sentence to the advice it came from, or delete it."),
        Rule("unsupported_number", _C, "A number that is in none of the advice.",
             "Use the number the advice gives, or ask its author."),
        Rule("unsupported_frequency", _C, "A frequency (how often) that is in none of the advice.",
             "Use the frequency the advice gives, or ask its author."),
        Rule("unsupported_duration", _C, "A duration (how long) that is in none of the advice.",
             "Use the duration the advice gives, or ask its author."),
        Rule("unsupported_group", _C, "A group size or ratio that is in none of the advice.",
             "Use the group size the advice gives, or ask its author."),
        Rule("unsupported_qualification", _C, "A role or qualification in none of the advice.",
             "Name the role the advice names, or ask its author."),
        Rule("unsupported_name", _C, "A name (person, place, programme) in none of the advice.",
             "Remove the name, or cite the advice that gives it."),
        Rule("fact_not_in_citation", _S, "A fact found in the advice, but not in the passage "
             "the sentence cites.", "Cite the passage that gives it."),
        Rule("dropped_quantity", _S, "A frequency, duration or group size in the advice that "
             "the draft leaves out.", "Add it to the provision it belongs to."),
        Rule("vague_wording", _S, "Section F wording that does not commit to anything "
             "(see VAGUE_WORDING).", "Replace it with exactly what will be provided."),
        Rule("provision_what", _S, "A Section F item that does not say what the provision is.",
             "Say what will be taught or done (the programme, therapy or approach)."),
        Rule("provision_who", _S, "A Section F item that does not say who delivers it.",
             "Name the role and qualification of who will deliver it."),
        Rule("provision_how_often", _S, "A Section F item that does not say how often.",
             "Give a frequency, e.g. three times a week."),
        Rule("provision_how_long", _S, "A Section F item that does not say for how long.",
             "Give the session length and how long the provision runs."),
        Rule("provision_group_size", _S, "A Section F item with no group size or ratio.",
             "Say 1:1, or the size of the group (e.g. a group of 4)."),
        Rule("need_without_provision", _S, "A need in Section B with no provision in Section F.",
             "Add the provision that meets it, or ask the advice's author."),
        Rule("need_without_outcome", _S, "A need in Section B with no outcome in Section E.",
             "Add an outcome for this area of need."),
        Rule("outcome_not_time_bound", _S, "An outcome with no time by which it is achieved.",
             "Say by when, e.g. by the end of Year 5."),
        Rule("outcome_not_specific", _S, "An outcome that cannot be measured.",
             "Say what the child will be able to do, and how well or how often."),
        Rule("educational_provision_in_g", _S, "Provision that educates or trains (such as "
             "speech and language therapy) in Section G.",
             "Move it to Section F: it is special educational provision (Code of Practice 9.74)."),
        Rule("clarification_outstanding", _I, "Advice too unspecific to draft from; a question "
             "to its author is waiting.", "Send the clarification request and redraft."),
    )
}  # fmt: skip
"""Every rule: id, severity, what it finds and how to fix it."""


@dataclass(frozen=True, slots=True)
class VaguePhrase:
    """Wording that commits to nothing, unless the same sentence gives one of ``unless``."""

    pattern: str
    why: str
    unless: frozenset[FactKind] = frozenset()

    def matches(self, text: str, kinds: set[FactKind]) -> re.Match[str] | None:
        if self.unless & kinds:
            return None
        return re.search(rf"\b{self.pattern}\b", text, re.I)


_FREQ, _DUR, _GROUP = FactKind.FREQUENCY, FactKind.DURATION, FactKind.GROUP
VAGUE_WORDING: Final[tuple[VaguePhrase, ...]] = (
    VaguePhrase(r"access to", "says what may be available, not what will be provided"),
    VaguePhrase(r"opportunit(?:y|ies) (?:for|to)", "an opportunity is not provision"),
    VaguePhrase(r"regular(?:ly)?", "does not say how often", frozenset({_FREQ})),
    VaguePhrase(r"frequent(?:ly)?", "does not say how often", frozenset({_FREQ})),
    VaguePhrase(r"as (?:and when )?(?:required|needed|necessary)", "leaves it to discretion"),
    VaguePhrase(r"(?:where|when|if) (?:appropriate|possible|necessary|needed|required)",
                "leaves it to discretion"),
    VaguePhrase(r"up to", "a ceiling, not a commitment"),
    VaguePhrase(r"(?:would|will|may|might|could) benefit from", "a wish, not provision"),
    VaguePhrase(r"small[- ]group", "does not say how small", frozenset({_GROUP})),
    VaguePhrase(r"(?:support|input|help) from", "does not say how much",
                frozenset({_FREQ, _DUR})),
    VaguePhrase(r"(?:some|additional|extra|ongoing) (?:support|help|input|adult support)",
                "does not say how much", frozenset({_FREQ, _DUR})),
    VaguePhrase(r"(?:should|could|may|might) (?:consider|be considered)"
                r"|consideration (?:should|could) be given", "a suggestion, not provision"),
)  # fmt: skip
"""Vague wording in provision (SEND tribunal decisions quash Section F items worded so)."""

PROVISION_CUE: Final = re.compile(
    r"\b(?:should|will|must|recommend\w*|require[sd]?|needs? to (?:have|receive|be)|receive\w*"
    r"|provide[ds]?|provision|deliver\w*|sessions?|programme|intervention|therapy|benefit from"
    r"|consider\w*)\b",
    re.I,
)
"""A sentence of advice that recommends something (rather than describing the child)."""

WHAT_CUE: Final = re.compile(
    r"\b(?:therapy|programme|intervention|teaching|tuition|instruction|lessons?|training"
    r"|mentoring|counselling|coaching|practice|activities|exercises|strategies|approach|work on"
    r"|support (?:with|for|to)|groups? (?:work|sessions?)|(?:communication|social skills|nurture"
    r"|language|therapy) groups?|club|plan|assessment|review|literacy"
    r"|sensory|movement|phonics|reading|writing|handwriting|typing|vocabulary)\b",
    re.I,
)
TIME_BOUND: Final = re.compile(
    r"\b(?:by|before|at) (?:the )?(?:end of )?(?:(?:year|key stage|ks)\s*\d+|(?:the )?(?:autumn|"
    r"spring|summer) term|(?:january|february|march|april|may|june|july|august|september|october"
    r"|november|december)\b|\d{4}|(?:the |their |his |her )?(?:next )?annual review|age \d+"
    r"|transfer|transition)|\bwithin (?:\d+|\w+) (?:weeks?|months?|terms?|years?)\b",
    re.I,
)
UNMEASURABLE: Final = re.compile(
    r"\b(?:improve|develop|increase|progress|better|enjoy|be supported|access|engage|feel)\w*\b",
    re.I,
)
EDUCATES_OR_TRAINS: Final = re.compile(
    r"\b(?:speech and language therapy|speech and language programme|language programme"
    r"|communication programme|social communication|literacy|numeracy|phonics|teaching|tuition"
    r"|SALT)\b",
    re.I,
)


_NOT_MEASURES: Final = frozenset({FactKind.NAME, FactKind.QUALIFICATION})


@dataclass(frozen=True, slots=True)
class QualityFinding:
    """One problem in one place: a plan sentence (section and id) or a passage of advice."""

    rule: str
    severity: Severity
    section: Section | None
    sentence_id: str
    message: str
    fix: str
    span: Span | None = None


def _finding(
    rule_id: str,
    message: str,
    *,
    sentence: tuple[str, PlanSentence] | None = None,
    span: Span | None = None,
    section: Section | None = None,
) -> QualityFinding:
    rule = RULES[rule_id]
    sid, section = (sentence[0], sentence[1].section) if sentence else ("", section)
    return QualityFinding(rule_id, rule.severity, section, sid, message, rule.fix, span)


def vague_phrases(text: str) -> list[tuple[str, str]]:
    """(the vague words as written, why they are vague) for each vague phrase in ``text``."""
    text = _flat(text)
    kinds = {fact.kind for fact in quantities(text)}
    return [
        (match.group(0), phrase.why)
        for phrase in VAGUE_WORDING
        if (match := phrase.matches(text, kinds)) is not None
    ]


def check_plan(plan: DraftPlan, sources: list[AdviceDocument]) -> list[QualityFinding]:
    """Every finding on ``plan``, checked against the advice it was drafted from."""
    index = _SourceIndex(sources)
    numbered = [(_sentence_id(s, n), s) for n, s in enumerate(plan.sentences, start=1)]
    findings = [f for item in numbered for f in _source_findings(item, index)]
    findings += _dropped_quantities(plan, index)
    findings += [f for item in numbered if item[1].section is Section.F for f in _f_item(item)]
    findings += _thread(plan)
    findings += [f for item in numbered if item[1].section is Section.E for f in _outcome(item)]
    findings += [f for item in numbered if item[1].section is Section.G for f in _g_item(item)]
    findings += [
        _finding("clarification_outstanding", f"Question to the author: {c.question}", span=c.span)
        for c in plan.clarifications
    ]
    return findings


def _sentence_id(sentence: PlanSentence, number: int) -> str:
    return sentence.sentence_id or f"{sentence.section.value}-{number}"


class _SourceIndex:
    """What the advice says, ready for look-up: fact values, words, spans."""

    def __init__(self, sources: Iterable[AdviceDocument]) -> None:
        self.documents = list(sources)
        text = "\n".join(page for doc in self.documents for page in doc.pages)
        self.values = fact_values(text)
        self.words = _words(text)
        self.spans = [span for doc in self.documents for span in split_spans(doc)]
        self.names = {doc.doc_id: doc.file_name for doc in self.documents}

    def supports(self, fact: Fact) -> bool:
        if fact.kind is FactKind.NAME:
            return fact.value.lower() in self.words
        return (fact.kind, fact.value.lower()) in self.values


def _source_findings(
    item: tuple[str, PlanSentence], index: _SourceIndex
) -> Iterator[QualityFinding]:
    sentence = item[1]
    if not sentence.citations:
        yield _finding("uncited_sentence", "This sentence cites no advice.", sentence=item)
    cited = fact_values(" \n".join(span.text for span in sentence.citations))
    cited_words = _words(" ".join(span.text for span in sentence.citations))
    for fact in extract(sentence.text):
        if not index.supports(fact):
            yield _finding(
                f"unsupported_{fact.kind.value}",
                f"'{fact.text}' ({fact.kind.value}) is not in any of the advice.",
                sentence=item,
            )
        elif sentence.citations and not _in_citation(fact, cited, cited_words):
            yield _finding(
                "fact_not_in_citation",
                f"'{fact.text}' is in the advice, but not in the passage this sentence cites.",
                sentence=item,
            )


def _words(text: str) -> set[str]:
    """The words of ``text`` in lower case, a possessive 's dropped (as names are compared)."""
    return {re.sub(r"['’]s$", "", w) for w in re.findall(r"[a-z][a-z'’-]*", text.lower())}


def _in_citation(fact: Fact, cited: set[tuple[FactKind, str]], words: set[str]) -> bool:
    if fact.kind is FactKind.NAME:
        return fact.value.lower() in words
    return (fact.kind, fact.value.lower()) in cited


def _dropped_quantities(plan: DraftPlan, index: _SourceIndex) -> Iterator[QualityFinding]:
    drafted = fact_values(" \n".join(s.text for s in plan.sentences))
    for span in index.spans:
        if not PROVISION_CUE.search(_flat(span.text)) or vague_phrases(span.text):
            continue  # not a recommendation, or one that goes back to its author
        for fact in quantities(span.text):
            if fact.kind in QUANTITY_KINDS and (fact.kind, fact.value) not in drafted:
                yield _finding(
                    "dropped_quantity",
                    f"The advice ({index.names[span.doc_id]}, page {span.page}) gives "
                    f"'{fact.text}', which the draft leaves out.",
                    span=span,
                    section=Section.F,
                )


def _flat(text: str) -> str:
    """One space between words: advice wraps lines anywhere (PDF text, hard-wrapped files)."""
    return " ".join(text.split())


def _says_what(text: str) -> bool:
    """The text names a provision (therapy, programme, teaching...) beyond who delivers it."""
    for role in reversed(qualifications(text)):  # "teaching assistant" is who, not what
        text = text[: role.start] + " " + text[role.end :]
    return WHAT_CUE.search(text) is not None


def _f_item(item: tuple[str, PlanSentence]) -> Iterator[QualityFinding]:
    text = _flat(item[1].text)
    if is_heading(text):
        return
    for words, why in vague_phrases(text):
        yield _finding("vague_wording", f"'{words}' {why}.", sentence=item)
    kinds = {fact.kind for fact in quantities(text)}
    missing = (
        ("provision_what", not _says_what(text), "what the provision is"),
        ("provision_who", not qualifications(text), "who delivers it (role and qualification)"),
        ("provision_how_often", FactKind.FREQUENCY not in kinds, "how often"),
        ("provision_how_long", FactKind.DURATION not in kinds, "for how long"),
        ("provision_group_size", FactKind.GROUP not in kinds, "the group size or ratio"),
    )
    for rule_id, absent, what in missing:
        if absent:
            yield _finding(rule_id, f"This provision does not say {what}.", sentence=item)


def _thread(plan: DraftPlan) -> Iterator[QualityFinding]:
    def areas(section: Section) -> set[NeedArea]:
        return {s.area for s in plan.section(section) if s.area is not None}

    needs, provided, outcomes = areas(Section.B), areas(Section.F), areas(Section.E)
    for area in sorted(needs):
        label = area.value.replace("_", " ")
        if area not in provided:
            yield _finding("need_without_provision", f"No provision in F for {label}.",
                           section=Section.B)  # fmt: skip
        if area not in outcomes:
            yield _finding("need_without_outcome", f"No outcome in E for {label}.",
                           section=Section.B)  # fmt: skip


def _outcome(item: tuple[str, PlanSentence]) -> Iterator[QualityFinding]:
    text = _flat(item[1].text)
    if is_heading(text):
        return
    if not TIME_BOUND.search(text):
        yield _finding("outcome_not_time_bound", "This outcome has no date or stage by which "
                       "it is achieved.", sentence=item)  # fmt: skip
    measured = any(
        f.kind not in {FactKind.NAME, FactKind.QUALIFICATION}
        for f in extract(TIME_BOUND.sub("", text))
    )
    if not measured and UNMEASURABLE.search(text):
        yield _finding("outcome_not_specific", "This outcome says what should get better, not "
                       "what the child will be able to do.", sentence=item)  # fmt: skip


def _g_item(item: tuple[str, PlanSentence]) -> Iterator[QualityFinding]:
    if match := EDUCATES_OR_TRAINS.search(_flat(item[1].text)):
        yield _finding("educational_provision_in_g", f"'{match.group(0)}' educates or trains.",
                       sentence=item)  # fmt: skip


def clarifications(documents: Iterable[AdviceDocument]) -> list[ClarificationRequest]:
    """A question to the author of each recommendation too vague to draft from."""
    requests = []
    for doc in documents:
        for span in split_spans(doc):
            if is_heading(span.text) or not PROVISION_CUE.search(_flat(span.text)):
                continue
            if vague := vague_phrases(span.text):
                requests.append(ClarificationRequest(doc.doc_id, span, _question(span, vague)))
            elif _unquantified(_flat(span.text)):
                requests.append(ClarificationRequest(doc.doc_id, span, _question(span, [])))
    return requests


def _unquantified(text: str) -> bool:
    """A recommendation of provision (not an outcome) that says neither how often nor how long."""
    if not _says_what(text) or TIME_BOUND.search(text):
        return False
    return not {FactKind.FREQUENCY, FactKind.DURATION} & {f.kind for f in quantities(text)}


def _question(span: Span, vague: list[tuple[str, str]]) -> str:
    kinds = {fact.kind for fact in quantities(span.text)}
    wanted = [
        label
        for label, present in (
            ("how often", FactKind.FREQUENCY in kinds),
            ("for how long (session length and for how many weeks or terms)",
             FactKind.DURATION in kinds),
            ("in what group size or ratio", FactKind.GROUP in kinds),
            ("who will deliver it (role and qualification)", bool(qualifications(span.text))),
        )
        if not present
    ]  # fmt: skip
    asks = "; ".join(wanted) if wanted else "exactly what will be provided"
    if not vague:
        return (
            f"Your advice (page {span.page}) recommends provision without saying how much of it. "
            f"So that the plan can specify it, please state {asks}."
        )
    quoted = ", ".join(f"'{words}'" for words, _ in vague)
    return (
        f"Your advice (page {span.page}) recommends provision worded {quoted}, which a plan cannot "
        f"specify as written. Please state {asks}."
    )
