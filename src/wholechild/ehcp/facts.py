"""Facts in advice and plan text: numbers, frequencies, durations, group sizes, qualifications
and names, each found at its place and normalised, so that a draft can be checked against its
sources ("3 times a week" in a draft is "three times per week" in the advice).

Pure text functions: no I/O. The quality checker (``wholechild.ehcp.quality``) and the
drafting source check share them; see docs/adr/0011-ehcp-quality.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class FactKind(StrEnum):
    """What a fact is. A number inside a frequency is part of the frequency, not a bare number."""

    FREQUENCY = "frequency"  # "3 per week"
    DURATION = "duration"  # "30 minute", "12 week"
    GROUP = "group"  # "1:1", "1:4", "group of 4", "whole class"
    QUALIFICATION = "qualification"  # a role or qualification: "speech and language therapist"
    NAME = "name"  # a capitalised word that is not plan vocabulary: a person or a programme
    NUMBER = "number"  # any other number: "Year 4" gives "4", "2026", "100 words" gives "100"


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact: its kind, normalised value, and where it is in the text (character offsets)."""

    kind: FactKind
    value: str
    start: int
    end: int
    text: str


QUANTITY_KINDS: Final = frozenset({FactKind.FREQUENCY, FactKind.DURATION, FactKind.GROUP})
"""The kinds that make provision specific; dropping one of these from the advice is a finding."""

_ONES: Final = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
_TENS: Final = (
    "",
    "",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
)
NUMBER_WORDS: Final[dict[str, int]] = {
    **{word: value for value, word in enumerate(_ONES)},
    **{word: value * 10 for value, word in enumerate(_TENS) if word},
    "hundred": 100,
    "a": 1,
    "an": 1,
    "once": 1,
    "twice": 2,
    "thrice": 3,
    "single": 1,
    "half": 0,  # only inside "half an hour" / "half a term", handled before lookup
}
_WORD_NUMBER = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[-\s](?:one|two|three|four"
    r"|five|six|seven|eight|nine))?|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven"
    r"|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|hundred)"
)
_NUM = rf"(?:\d+(?:\.\d+)?|{_WORD_NUMBER})"
_COUNT = rf"(?:{_NUM}|an?|once|twice|thrice|single)"
_PERIOD = r"(?:day|week|fortnight|month|half[-\s]term|term|year|school\s+day|morning|afternoon)"
_PERIOD_ADVERB: Final = {
    "daily": "day",
    "weekly": "week",
    "fortnightly": "fortnight",
    "monthly": "month",
    "termly": "term",
    "half-termly": "half-term",
    "annually": "year",
    "yearly": "year",
}
_DURATION_UNIT = r"(?:minutes?|mins?|hours?|hrs?|weeks?|months?|terms?|half[-\s]terms?|years?)"

_PATTERNS: Final[tuple[tuple[FactKind, re.Pattern[str]], ...]] = (
    (
        FactKind.FREQUENCY,
        re.compile(
            rf"\b(?P<n>{_COUNT})(?:\s*(?:x|times?|sessions?|visits?|lessons?|nights?|days?))?\s+"
            rf"(?:a|per|each|every|in\s+a|in\s+each)\s+(?P<p>{_PERIOD})\b",
            re.I,
        ),
    ),
    (
        FactKind.FREQUENCY,
        re.compile(
            rf"\b(?:(?P<n>{_COUNT})(?:\s*(?:x|times?))?\s+)?(?P<adv>daily|weekly|fortnightly"
            r"|monthly|half-termly|termly|annually|yearly)\b",
            re.I,
        ),
    ),
    (
        FactKind.FREQUENCY,
        re.compile(
            rf"\b(?:every|each)\s+(?:(?P<n>{_NUM})\s+)?(?P<p>{_PERIOD})s?\b",
            re.I,
        ),
    ),
    (
        FactKind.FREQUENCY,
        re.compile(
            r"(?:(?<=minutes\s)|(?<=minute\s)|(?<=mins\s)|(?<=hours\s)|(?<=hour\s)|(?<=hrs\s))"
            rf"(?:a|per|each)\s+(?P<p>{_PERIOD})\b|\bper\s+(?P<p2>{_PERIOD})\b",
            re.I,
        ),
    ),
    (FactKind.DURATION, re.compile(r"\bhalf\s+an?\s+(?P<u>hour|term)\b", re.I)),
    (
        FactKind.DURATION,
        re.compile(rf"\b(?P<n>{_NUM}|an?|one)(?:-|\s+)?(?P<u>{_DURATION_UNIT})\b", re.I),
    ),
    (
        FactKind.GROUP,
        re.compile(
            r"\b(?P<ratio>1\s*:\s*\d+)\b|\b(?P<one>one[-\s]to[-\s]one|individually"
            r"|individual(?=\s+(?:sessions?|basis|work|support|teaching|therapy)))\b"
            rf"|\bgroups?\s+of\s+(?:no\s+more\s+than\s+|at\s+most\s+)?(?P<g>{_NUM})\b"
            r"|\b(?P<pair>pairs?|paired)\b|\b(?P<wc>whole[-\s]class)\b",
            re.I,
        ),
    ),
)

QUALIFICATIONS: Final[tuple[str, ...]] = (
    "hcpc-registered", "hcpc registered", "speech and language therapist",
    "speech and language therapy assistant", "educational psychologist",
    "assistant educational psychologist", "clinical psychologist", "occupational therapist",
    "physiotherapist", "qualified teacher of the deaf",
    "qualified teacher of the visually impaired",
    "qualified teacher", "specialist teacher", "specialist dyslexia teacher", "advisory teacher",
    "class teacher", "teaching assistant", "learning support assistant",
    "higher level teaching assistant", "hlta", "senco", "elklan-trained", "elsa",
    "emotional literacy support assistant", "school nurse", "community paediatrician",
    "paediatrician", "camhs practitioner", "social worker", "family support worker",
    "learning mentor", "counsellor", "art therapist", "music therapist", "play therapist",
    "level 3", "postgraduate qualification", "approved practitioner",
)  # fmt: skip
"""Roles and qualifications that say who delivers provision (longest match wins)."""

_QUALIFICATION = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(q).replace(r"\ ", r"\s+") for q in sorted(QUALIFICATIONS, key=len, reverse=True)
    )
    + r")\b",
    re.I,
)

PLAN_VOCABULARY: Final = frozenset(
    " ".join(
        (
            "i a an the he she they his her their him them it its we our you your this that these",
            "those there here when where what who how if with for from by to of in on at as and or",
            "but not no provision provisions section sections need needs outcome outcomes advice",
            "plan ehc ehcp sen send senco monday tuesday wednesday thursday friday saturday sunday",
            "january february march april may june july august september october november december",
            "year reception nursery key stage will would should must can could each every all some",
            "any one two three four five six seven eight nine ten twelve health social care",
            "education educational special school college home family parent parents carer carers",
            "mother father mum dad child young person pupil pupils student students therapy",
            "therapist teacher teaching assistant speech language occupational physiotherapy hcpc",
            "elklan elsa camhs hlta qtvi qtod english maths mathematics literacy numeracy support",
            "sessions session programme intervention staff adult adults dr mr mrs ms miss mx prof",
        )
    ).split()
)
"""Capitalised words that are plan vocabulary, not names (checked in lower case)."""

_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z'’-]+\b")
_NUMBER = re.compile(rf"\b(?:\d+(?:\.\d+)?(?:st|nd|rd|th)?|{_WORD_NUMBER})\b", re.I)
_TITLE = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof)\.?\s+(?=[A-Z])")


def number_value(token: str) -> int | float:
    """A number written in digits or words, as a number: "forty-five" -> 45, "3" -> 3."""
    word = re.sub(r"\s+", "-", token.strip().lower())
    if re.fullmatch(r"\d+", word):
        return int(word)
    if re.fullmatch(r"\d+\.\d+", word):
        return float(word)
    if "-" in word:
        tens, _, unit = word.partition("-")
        return NUMBER_WORDS[tens] + NUMBER_WORDS[unit]
    return NUMBER_WORDS[word]


def _number_text(token: str) -> str:
    value = number_value(token)
    return str(int(value)) if float(value).is_integer() else str(value)


def _singular(unit: str) -> str:
    unit = re.sub(r"\s+", "-", unit.lower())
    unit = {"min": "minute", "mins": "minute", "hr": "hour", "hrs": "hour"}.get(unit, unit)
    return unit[:-1] if unit.endswith("s") else unit


def _frequency(match: re.Match[str]) -> str:
    groups = match.groupdict()
    count = _number_text(groups["n"]) if groups.get("n") else "1"
    if groups.get("adv"):
        period = _PERIOD_ADVERB[groups["adv"].lower()]
    else:
        period = _singular(groups.get("p") or groups["p2"]).replace("school-day", "day")
        period = {"morning": "day", "afternoon": "day"}.get(period, period)
        if groups.get("n") and match.group(0).lower().startswith(("every", "each")):
            return f"1 per {count} {period}"  # "every two weeks"
    return f"{count} per {period}"


def _duration(match: re.Match[str]) -> str:
    groups = match.groupdict()
    unit = _singular(groups["u"])
    if groups.get("n") is None:  # "half an hour"
        return "30 minute" if unit == "hour" else f"0.5 {unit}"
    count = number_value(groups["n"])
    if unit == "hour" and count <= 3:
        return f"{int(count * 60)} minute"
    return f"{_number_text(groups['n'])} {unit}"


def _group(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if groups["ratio"]:
        return re.sub(r"\s", "", groups["ratio"])
    if groups["one"]:
        return "1:1"
    if groups["g"]:
        return f"group of {_number_text(groups['g'])}"
    return "group of 2" if groups["pair"] else "whole class"


_NORMALISERS: Final = {
    FactKind.FREQUENCY: _frequency,
    FactKind.DURATION: _duration,
    FactKind.GROUP: _group,
}


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < t_end and t_start < end for t_start, t_end in taken)


def quantities(text: str) -> list[Fact]:
    """Frequencies, durations and group sizes in ``text``, in order, none overlapping."""
    found: list[Fact] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if _overlaps(match.start(), match.end(), taken):
                continue
            value = _NORMALISERS[kind](match)
            found.append(Fact(kind, value, match.start(), match.end(), match.group(0)))
            taken.append((match.start(), match.end()))
    return sorted(found, key=lambda fact: fact.start)


def qualifications(text: str) -> list[Fact]:
    """Roles and qualifications named in ``text`` (lower-cased, hyphens kept)."""
    return [
        Fact(FactKind.QUALIFICATION, _role(m.group(0)), m.start(), m.end(), m.group(0))
        for m in _QUALIFICATION.finditer(text)
    ]


def _role(words: str) -> str:
    return re.sub(r"\s+", " ", words.lower()).replace("hcpc registered", "hcpc-registered")


def _sentence_starts(text: str) -> set[int]:
    starts = {0}
    for match in re.finditer(r"(?:[.!?:;]\s+|\n\s*|^\s*[-*•]\s+|\(\s*)", text, re.M):
        starts.add(match.end())
    return starts


def names(text: str) -> list[Fact]:
    """Capitalised words that are not plan vocabulary: a person, a place or a programme.

    A word opening a sentence counts only after a title ("Dr Patel"), so "The" and "She" do not.
    """
    starts = _sentence_starts(text)
    titled = {m.end() for m in _TITLE.finditer(text)}
    roles = [(m.start(), m.end()) for m in _QUALIFICATION.finditer(text)]
    found = []
    for match in _CAPITALISED.finditer(text):
        word = re.sub(r"['’]s$", "", match.group(0))
        if word.lower() in PLAN_VOCABULARY or (word.upper() == word and len(word) <= 5):
            continue  # plan words and acronyms (SALT, EP, OT)
        if match.start() in starts and match.start() not in titled:
            continue
        if _overlaps(match.start(), match.end(), roles):
            continue
        found.append(Fact(FactKind.NAME, word, match.start(), match.end(), word))
    return found


def numbers(text: str, *, outside: Iterable[Fact] = ()) -> list[Fact]:
    """Numbers (digits or words) that are not part of the given facts; "one" and "a" only
    count inside a quantity, since "one of the strategies" is not a number anyone invented."""
    taken = [(fact.start, fact.end) for fact in outside]
    found = []
    for match in _NUMBER.finditer(text):
        token = re.sub(r"(st|nd|rd|th)$", "", match.group(0), flags=re.I)
        if token.lower() in {"one", "zero", "hundred"} or _overlaps(*match.span(), taken):
            continue
        found.append(Fact(FactKind.NUMBER, _number_text(token), *match.span(), match.group(0)))
    return found


def extract(text: str) -> list[Fact]:
    """Every fact in ``text``: quantities, qualifications, names and the remaining numbers."""
    found = quantities(text) + qualifications(text) + names(text)
    found += numbers(text, outside=found)
    return sorted(found, key=lambda fact: (fact.start, fact.kind))


def fact_values(text: str) -> set[tuple[FactKind, str]]:
    """The (kind, normalised value) pairs in ``text``. The digits inside a quantity also count
    as numbers seen, so "4 pupils" in a draft is supported by "groups of four" in the advice."""
    values = {(fact.kind, fact.value.lower()) for fact in extract(text)}
    for fact in quantities(text):
        for token in re.findall(r"\d+(?:\.\d+)?", fact.value):
            values.add((FactKind.NUMBER, token))
    return values
