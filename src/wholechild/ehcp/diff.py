"""Advice wording against plan wording: a word-level difference a caseworker can read.

The advice wording of a sentence is the text of the span(s) it cites; the plan wording is the
sentence as it stands after drafting and the caseworker's edits. ``render`` shows removed words
as ``[-old-]`` and added words as ``{+new+}`` (the convention of ``git diff --word-diff``).
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from wholechild.ehcp.model import PlanSentence
from wholechild.ehcp.spans import tidy

__all__ = ["WordChange", "advice_wording", "render", "sentence_diff", "word_diff"]

ChangeKind = Literal["equal", "delete", "insert", "replace"]


@dataclass(frozen=True, slots=True)
class WordChange:
    """A run of words: the same in both, only in the advice, only in the plan, or replaced."""

    kind: ChangeKind
    advice: tuple[str, ...]
    plan: tuple[str, ...]


def word_diff(advice: str, plan: str) -> list[WordChange]:
    """The word-level changes that turn the advice wording into the plan wording."""
    before, after = advice.split(), plan.split()
    matcher = SequenceMatcher(a=before, b=after, autojunk=False)
    return [
        WordChange(kind, tuple(before[a1:a2]), tuple(after[b1:b2]))
        for kind, a1, a2, b1, b2 in matcher.get_opcodes()
    ]


def advice_wording(sentence: PlanSentence) -> str:
    """The words of the advice a sentence cites, in citation order."""
    return " ".join(tidy(span.text) for span in sentence.citations)


def sentence_diff(sentence: PlanSentence, edited: str | None = None) -> list[WordChange]:
    """The advice wording against the sentence (or the caseworker's edit of it)."""
    return word_diff(advice_wording(sentence), sentence.text if edited is None else edited)


def render(changes: list[WordChange]) -> str:
    """One line: unchanged words plain, removed ``[-like this-]``, added ``{+like this+}``."""
    parts: list[str] = []
    for change in changes:
        if change.kind == "equal":
            parts.append(" ".join(change.plan))
            continue
        if change.advice:
            parts.append(f"[-{' '.join(change.advice)}-]")
        if change.plan:
            parts.append(f"{{+{' '.join(change.plan)}+}}")
    return " ".join(parts)
