"""Splitting advice into spans: sentences (and headings, and list items) with page and offsets.

The one promise: for every span, ``doc.pages[span.page - 1][span.start:span.end] == span.text``,
so a citation always points at the exact words of the advice. Spans never overlap, never start
or end with white space, and between them they hold every visible character of the page except
list bullets.

Where one block ends and the next begins: a blank line; a line ending a sentence (``.``, ``!``,
``?``) or a label (``:``); a short line without closing punctuation (a heading); a line that
starts a list item. Any other line break is a soft wrap (PDF text, hard-wrapped files) and the
sentence runs on. Within a block, a sentence ends at ``.``, ``!`` or ``?`` followed by white
space and a word that does not start in lower case, unless the full stop ends an abbreviation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from wholechild.ehcp.model import AdviceDocument, Span

__all__ = [
    "HEADING_MAX_WORDS",
    "is_heading",
    "is_list_item",
    "split_page",
    "split_spans",
    "tidy",
]

HEADING_MAX_WORDS = 10
BULLET = re.compile(r"(?:[-*\u2022\u2023\u25aa\u25cf\u2013\u2014]|\(?(?:\d{1,2}|[a-z])[.)])\s+")
SENTENCE_END = re.compile(r"[.!?]+[\"'\u2019\u201d)\]]*(?=\s)")
# Words whose full stop does not end a sentence ("min." and "yrs." often do, so are not here).
ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "eg", "ie", "dr", "mr", "mrs", "ms", "mx", "prof", "approx", "st", "vs", "cf",
     "incl", "fig"}
)  # fmt: skip


def split_spans(doc: AdviceDocument) -> list[Span]:
    """Every span of a document, page by page, in reading order."""
    return [
        Span(doc.doc_id, number, start, end, page[start:end])
        for number, page in enumerate(doc.pages, start=1)
        for start, end in split_page(page)
    ]


def split_page(page: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the spans of one page's text."""
    return [
        sentence
        for block_start, block_end in _blocks(page)
        for sentence in _sentences(page, block_start, block_end)
    ]


def tidy(text: str) -> str:
    """A span's words on one line: white space single, a word hyphenated at a line end rejoined."""
    return " ".join(re.sub(r"(?<=\w-)\s*\n\s*(?=\w)", "", text).split())


def is_heading(text: str) -> bool:
    """A short line with no closing punctuation (a trailing colon allowed): a heading."""
    words = text.split()
    return (
        0 < len(words) <= HEADING_MAX_WORDS
        and "\n" not in text
        and not text.rstrip(":").endswith((".", "!", "?", ";", ","))
        and (text[0].isupper() or text[0].isdigit())
    )


def is_list_item(page: str, span: Span) -> bool:
    """Whether a list bullet ("-", "1.", "a)") comes before the span on its line."""
    prefix = page[page.rfind("\n", 0, span.start) + 1 : span.start].lstrip()
    return bool(prefix) and BULLET.fullmatch(prefix) is not None


def _blocks(page: str) -> Iterator[tuple[int, int]]:
    """Blocks of text: runs of lines joined by soft wraps, with list bullets cut off."""
    start: int | None = None
    end = 0
    offset = 0
    for line in page.split("\n"):
        line_start, line_end = offset, offset + len(line)
        offset = line_end + 1
        body = line.strip()
        if not body:
            if start is not None:
                yield start, end
            start = None
            continue
        lead = line_start + len(line) - len(line.lstrip())
        bullet = BULLET.match(page, lead, line_end)
        if start is not None and (bullet or _ends_block(page[start:end], body)):
            yield start, end
            start = None
        if start is None:
            start = bullet.end() if bullet else lead
        end = line_start + len(line.rstrip())
    if start is not None:
        yield start, end


def _ends_block(text: str, next_line: str) -> bool:
    last_line = text.rsplit("\n", 1)[-1].strip()
    if last_line.endswith((".", "!", "?", ":", ";")):
        return True
    return is_heading(last_line) and not next_line[0].islower()


def _sentences(page: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    cursor = _skip_space(page, start, end)
    for mark in SENTENCE_END.finditer(page, start, end):
        if _is_boundary(page, cursor, mark, end):
            yield cursor, mark.end()
            cursor = _skip_space(page, mark.end(), end)
    if cursor < end:
        yield cursor, end


def _is_boundary(page: str, cursor: int, mark: re.Match[str], end: int) -> bool:
    following = _skip_space(page, mark.end(), end)
    if following >= end or page[following].islower():
        return False
    word = re.search(r"[\w.]*$", page[cursor : mark.start()])
    previous = word.group(0).lower() if word else ""
    if mark.group(0).startswith(".") and (
        previous in ABBREVIATIONS or (len(previous) == 1 and previous.isalpha())
    ):
        return False
    return cursor < mark.start()


def _skip_space(page: str, position: int, end: int) -> int:
    while position < end and page[position].isspace():
        position += 1
    return position
