"""Finding a child: by name (tolerant of misspellings and nicknames), date of birth, or an
identifier (NHS number, UPN, ULN, LA child id, police reference).

Only records the principal may see are searched and shown, so a search never reveals a value
held only in a record withheld from them (a sealed pre-adoption name finds nothing). One audit
entry per search, with which kinds of criteria were used and how many children were found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Final

import jellyfish
from sqlalchemy import ColumnElement, Connection, Engine, and_, false, func, or_, select

from wholechild.access import Resource, record_access, require
from wholechild.core.access import Principal, Purpose, category_of
from wholechild.core.identifiers import clean_identifier
from wholechild.core.normalise import name_parts, normalise_name, swapped_day_month
from wholechild.errors import UserError
from wholechild.linkage.names import forename_groups, phonetic, surname_keys
from wholechild.read._records import Held, agreements_today, split
from wholechild.storage.schema import IngestBatch, SourceRecord

__all__ = ["SearchHit", "search_children"]

MIN_NAME_SCORE: Final = 0.85  # every word of the name must match a name part at least this well
SWAPPED_DOB_SCORE: Final = 0.8
# Several words that are all surnames ('Hussain Dixon') must match them almost exactly, and
# score below a given name and surname.
SURNAME_ONLY_SCORE: Final = 0.95


@dataclass(frozen=True, slots=True)
class SearchHit:
    person_id: int
    name: str
    date_of_birth: date | None
    sex: str | None
    sources: tuple[str, ...]
    score: float


@dataclass(frozen=True, slots=True)
class Criteria:
    words: tuple[str, ...]
    date_of_birth: date | None
    identifier: str | None

    def used(self) -> list[str]:
        named = {"text": self.words, "date_of_birth": self.date_of_birth}
        return [k for k, v in {**named, "identifier": self.identifier}.items() if v]


def _criteria(text: str | None, date_of_birth: date | None, identifier: str | None) -> Criteria:
    criteria = Criteria(search_words(text), date_of_birth, clean_identifier(identifier))
    if not criteria.used():
        raise UserError(
            "a search needs a name, a date of birth or an identifier",
            fix="enter at least one of them",
        )
    return criteria


# -- candidates ------------------------------------------------------------------------------

IDENTIFIER_COLUMNS: Final = (
    SourceRecord.nhs_number,
    SourceRecord.upn,
    SourceRecord.former_upn_raw,
    SourceRecord.uln,
    SourceRecord.la_child_id,
    SourceRecord.police_ref,
)
COLUMNS: Final = (
    SourceRecord.person_id,
    SourceRecord.forename,
    SourceRecord.middle_names,
    SourceRecord.surname,
    SourceRecord.preferred_surname,
    SourceRecord.former_surname,
    SourceRecord.date_of_birth,
    SourceRecord.sex,
    SourceRecord.source_system,
    SourceRecord.sealed,
    IngestBatch.agency,
    *IDENTIFIER_COLUMNS,
)


def _narrowing(conn: Connection, criteria: Criteria) -> list[ColumnElement[bool]]:
    """SQL conditions that every match must meet: the identifier, the date of birth (or it
    with day and month swapped), and a name close to at least one searched word."""
    where: list[ColumnElement[bool]] = [SourceRecord.person_id.is_not(None)]
    if criteria.identifier:
        where.append(or_(*(column == criteria.identifier for column in IDENTIFIER_COLUMNS)))
    if criteria.date_of_birth:
        dates = {criteria.date_of_birth, swapped_day_month(criteria.date_of_birth)} - {None}
        where.append(SourceRecord.date_of_birth.in_(dates))
    if criteria.words and not criteria.identifier and not criteria.date_of_birth:
        where.append(_close_names(conn, criteria.words))
    return where


NAME_COLUMNS: Final = (
    SourceRecord.forename,
    SourceRecord.middle_names,
    SourceRecord.surname,
    SourceRecord.preferred_surname,
    SourceRecord.former_surname,
)


def _close_names(conn: Connection, words: Sequence[str]) -> ColumnElement[bool]:
    """Records with a name close to each searched word (a record scores only if every word
    matches one of its names): each distinct name in the store is scored once, so a name
    search reads only the records that could match."""
    names = {column: _distinct_names(conn, column) for column in NAME_COLUMNS}
    per_word = []
    for word in dict.fromkeys(words):
        conditions = [
            column.in_(close)
            for column, values in names.items()
            if (close := [v for v in values if v and _near(word, v)])
        ]
        if not conditions:
            return false()
        per_word.append(or_(*conditions))
    return and_(*per_word) if per_word else false()


def _distinct_names(conn: Connection, column: Any) -> Sequence[str]:
    """The column's distinct values. On PostgreSQL, a loose index scan (one index probe per
    distinct name, migration 0009's indexes) rather than reading every record: a few thousand
    names among hundreds of thousands of records."""
    if conn.dialect.name != "postgresql":
        return conn.scalars(select(column).distinct().where(column.is_not(None))).all()
    first = select(func.min(column)).scalar_subquery()
    walk = select(first.label("name")).cte("names", recursive=True)
    after = select(func.min(column)).where(column > walk.c.name).scalar_subquery()
    walk = walk.union_all(select(after).where(walk.c.name.is_not(None)))
    return conn.scalars(select(walk.c.name).where(walk.c.name.is_not(None))).all()


@lru_cache(maxsize=200_000)
def _keys(name: str) -> tuple[str, ...]:
    whole = normalise_name(name)
    if not whole:
        return ()
    parts = name_parts(whole)
    return tuple(dict.fromkeys((*parts, *map(_squash, parts), _squash(whole).replace(" ", ""))))


def _near(word: str, name: str) -> bool:
    return any(word_score(word, key) >= MIN_NAME_SCORE for key in _keys(name))


def _held(conn: Connection, where: Sequence[ColumnElement[bool]]) -> list[Held]:
    query = select(*COLUMNS).join(IngestBatch, IngestBatch.id == SourceRecord.batch_id)
    rows = conn.execute(query.where(*where)).all()
    return [Held(row, category_of(row.agency), bool(row.sealed)) for row in rows]  # type: ignore[arg-type]


# -- scoring (a plain, readable scorer: the linkage model is not needed to find a child) ---


@lru_cache(maxsize=100_000)
def word_score(word: str, part: str) -> float:
    """How well a searched word matches one name part: exact 1, same nickname group 0.95,
    else spelling (Jaro-Winkler), at least 0.85 when they sound alike (Metaphone)."""
    if word == part:
        return 1.0
    if set(forename_groups().get(word, ())) & set(forename_groups().get(part, ())):
        return 0.95
    spelling = jellyfish.jaro_winkler_similarity(word, part)
    return max(spelling, 0.85) if phonetic(word) == phonetic(part) else spelling


def _squash(name: str) -> str:
    return name.replace("-", "").replace("'", "")


def search_words(text: str | None) -> tuple[str, ...]:
    """The searched words, normalised; a hyphenated name stays one word ('SMITHJONES')."""
    return tuple(_squash(w) for w in (normalise_name(text) or "").split())


def _given(row: Any) -> tuple[str, ...]:
    """Each given name part, and each given name whole ('MARY-JANE' -> MARY, JANE, MARYJANE)."""
    return _given_names(row.forename, row.middle_names)


@lru_cache(maxsize=200_000)
def _given_names(forename: str | None, middle_names: str | None) -> tuple[str, ...]:
    names = [normalise_name(n) for n in (forename, middle_names)]
    whole = [_squash(n).replace(" ", "") for n in names if n]
    return tuple(dict.fromkeys((*(p for n in names for p in name_parts(n)), *whole)))


def _matched(words: Sequence[str], parts: Sequence[str]) -> list[float] | None:
    best = [max((word_score(w, p) for p in parts), default=0.0) for w in words]
    return best if best and min(best) >= MIN_NAME_SCORE else None


def name_score(words: Sequence[str], row: Any) -> float | None:
    """The mean of each word's best match, or ``None`` if any word matches nothing well.

    One word may be any name. Several: given names then surname(s), or (names written
    surname first) surname then given names, split wherever matches best, or all surnames
    (matched almost exactly); a double-barrelled surname matches whole or by its parts."""
    given = _given(row)
    family = surname_keys(row.surname, row.preferred_surname, row.former_surname)
    if len(words) == 1:
        single = _matched(words, (*given, *family))
        return single[0] if single else None
    scores = []
    surnames_only = _matched(words, family)
    if surnames_only is not None and min(surnames_only) >= SURNAME_ONLY_SCORE:
        scores.append(SURNAME_ONLY_SCORE * sum(surnames_only) / len(words))
    for k in range(1, len(words)):
        for forenames, surnames in ((words[:k], words[k:]), (words[k:], words[:k])):
            first, last = _matched(forenames, given), _matched(surnames, family)
            if first is not None and last is not None:
                scores.append(sum(first + last) / len(words))
    return max(scores, default=None)


def record_score(criteria: Criteria, row: Any) -> float | None:
    scores = []
    if criteria.words:
        named = name_score(criteria.words, row)
        if named is None:
            return None
        scores.append(named)
    if criteria.date_of_birth:
        exact = row.date_of_birth == criteria.date_of_birth
        scores.append(1.0 if exact else SWAPPED_DOB_SCORE)
    if criteria.identifier:
        scores.append(1.0)
    return sum(scores) / len(scores)


# -- the search ------------------------------------------------------------------------------


def _best_by_person(criteria: Criteria, visible: Sequence[Held]) -> dict[int, float]:
    best: dict[int, float] = {}
    for held in visible:
        score = record_score(criteria, held.row)
        if score is not None and score > best.get(held.row.person_id, 0.0):
            best[held.row.person_id] = score
    return best


def _most_common(values: Sequence[Any]) -> Any:
    present = [v for v in values if v]
    return Counter(present).most_common(1)[0][0] if present else None


def _hit(person_id: int, score: float, records: Sequence[Held]) -> SearchHit:
    rows = [h.row for h in records]
    name = _most_common([" ".join(p for p in (r.forename, r.surname) if p) for r in rows])
    return SearchHit(
        person_id,
        name or "(no name recorded)",
        _most_common([r.date_of_birth for r in rows]),
        _most_common([r.sex for r in rows]),
        tuple(sorted({r.source_system for r in rows})),
        round(score, 4),
    )


def search_children(
    engine: Engine,
    principal: Principal,
    *,
    purpose: Purpose | None,
    text: str | None = None,
    date_of_birth: date | None = None,
    identifier: str | None = None,
    limit: int = 50,
) -> list[SearchHit]:
    """Children matching the criteria, best first, among the records ``principal`` may see."""
    criteria = _criteria(text, date_of_birth, identifier)
    target = Resource("Person")
    allowed = require(engine, principal, "search", target, purpose=purpose)
    with engine.begin() as conn:
        candidates = _held(conn, _narrowing(conn, criteria))
        shared = agreements_today(conn)
        visible = split(conn, principal, candidates, purpose=purpose, agreements=shared).shown
        best = _best_by_person(criteria, visible)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        persons = [p for p, _ in ranked]
        where = [SourceRecord.person_id.in_(persons)]
        seen = split(conn, principal, _held(conn, where), purpose=purpose, agreements=shared).shown
        hits = [_hit(p, s, [h for h in seen if h.row.person_id == p]) for p, s in ranked]
        details = {"criteria": criteria.used(), "hits": len(hits)}
        record_access(conn, principal, "search", target, allowed, purpose=purpose, details=details)
    return hits
