"""Finding a child on the small synthetic council (SQLite and PostgreSQL): tolerant of a
misspelt surname and a nickname, by NHS number and UPN, and only among the records the
searcher's role and purpose allow.

Which child to look for is chosen here from the store directly, so the tests do not depend on
a particular synthetic name.
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, select

from test_read_child import council_store, records_by_person
from wholechild.access import AccessDenied
from wholechild.core.access import Category, Principal, Purpose, Role, category_of
from wholechild.linkage.names import forename_groups
from wholechild.read.search import name_score, search_children, search_words, word_score
from wholechild.storage.schema import AuditEvent

__all__ = ["council_store"]  # the fixture, shared with test_read_child.py

SOCIAL_WORKER = Principal("sw@council", Role.SOCIAL_WORKER, Category.SOCIAL_CARE)
POLICE = Principal("pc@police", Role.POLICE_OFFICER, Category.POLICE)
SAFEGUARDING = Purpose.SAFEGUARDING_ENQUIRY


def search(engine: Engine, principal: Principal = SOCIAL_WORKER, **criteria: Any) -> list[int]:
    hits = search_children(engine, principal, purpose=SAFEGUARDING, **criteria)
    return [h.person_id for h in hits]


def named(engine: Engine) -> list[tuple[int, Any]]:
    """(person, record) for every record with a forename and surname, by person."""
    return [
        (person, r)
        for person, rows in sorted(records_by_person(engine).items())
        for r in rows
        if r.forename and r.surname and len(r.surname) >= 5 and " " not in r.surname
    ]


def misspell(surname: str) -> str:
    """Swap two letters in the middle: 'Kelly' -> 'Kelyl'... a keying slip."""
    i = len(surname) // 2
    return surname[:i] + surname[i + 1] + surname[i] + surname[i + 2 :]


def test_a_misspelt_surname_still_finds_the_child(council_store: Engine) -> None:
    person, record = named(council_store)[0]
    typo = misspell(record.surname)
    assert typo.upper() != record.surname.upper()
    assert person in search(council_store, text=f"{record.forename} {typo}")
    assert search(council_store, text=f"{record.forename} {typo}")[0] in {
        p for p, r in named(council_store) if r.surname == record.surname
    }


def _variant(forename: str) -> str | None:
    groups = forename_groups()
    mine = set(groups.get(forename.upper(), ()))
    others = sorted(
        name for name, ids in groups.items() if mine & set(ids) and name != forename.upper()
    )
    return others[0] if others else None


def test_a_nickname_finds_the_child(council_store: Engine) -> None:
    person, record, nickname = next(
        (p, r, v) for p, r in named(council_store) if (v := _variant(r.forename)) is not None
    )
    assert person in search(council_store, text=f"{nickname.title()} {record.surname}")


def test_surname_first_works_too(council_store: Engine) -> None:
    person, record = named(council_store)[0]
    assert person in search(council_store, text=f"{record.surname} {record.forename}")


def test_nhs_number_and_upn_find_the_child_however_they_are_typed(council_store: Engine) -> None:
    people = records_by_person(council_store)
    ordered = sorted(people.items())
    with_nhs = next((p, r.nhs_number) for p, rs in ordered for r in rs if r.nhs_number)
    with_upn = next((p, r.upn) for p, rs in ordered for r in rs if r.upn)
    person, nhs = with_nhs
    spaced = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
    assert search(council_store, identifier=spaced) == [person]
    person, upn = with_upn
    assert search(council_store, identifier=upn.lower()) == [person]


def test_date_of_birth_narrows_a_name_search(council_store: Engine) -> None:
    person, record = named(council_store)[0]
    found = search(council_store, text=record.surname, date_of_birth=record.date_of_birth)
    assert person in found
    everyone = records_by_person(council_store)
    for hit in found:
        assert any(r.date_of_birth == record.date_of_birth for r in everyone[hit])


def test_search_only_looks_in_records_the_role_may_see(council_store: Engine) -> None:
    people = records_by_person(council_store)
    police_blind = next(
        (p, r)
        for p, rs in sorted(people.items())
        for r in rs
        if r.nhs_number
        and not {category_of(x.agency) for x in rs} & {Category.POLICE, Category.SOCIAL_CARE}
    )
    person, record = police_blind
    assert search(council_store, identifier=record.nhs_number) == [person]
    assert search(council_store, POLICE, identifier=record.nhs_number) == []


def test_a_hit_shows_only_values_from_records_the_role_may_see(council_store: Engine) -> None:
    police_sees = {Category.POLICE, Category.SOCIAL_CARE}
    person, upn, rows = next(
        (p, r.upn, rs)
        for p, rs in sorted(records_by_person(council_store).items())
        for r in rs
        if r.upn
        and category_of(r.agency) is Category.SOCIAL_CARE
        and any(category_of(x.agency) is Category.EDUCATION for x in rs)
    )
    (hit,) = search_children(council_store, POLICE, purpose=SAFEGUARDING, identifier=upn)
    visible = [x for x in rows if category_of(x.agency) in police_sees]
    assert hit.person_id == person
    assert set(hit.sources) == {x.source_system for x in visible}
    names = {" ".join(n for n in (x.forename, x.surname) if n) for x in visible} - {""}
    assert hit.name in (names or {"(no name recorded)"})
    (everything,) = search_children(
        council_store, SOCIAL_WORKER, purpose=SAFEGUARDING, identifier=upn
    )
    assert set(everything.sources) == {x.source_system for x in rows}


def test_search_needs_criteria_a_purpose_and_a_role_that_may_search(council_store: Engine) -> None:
    with pytest.raises(Exception, match="needs a name, a date of birth or an identifier"):
        search(council_store)
    with pytest.raises(AccessDenied, match="a purpose is required"):
        search_children(council_store, SOCIAL_WORKER, purpose=None, text="Smith")
    analyst = Principal("a@council", Role.DATA_ANALYST, Category.OTHER)
    with pytest.raises(AccessDenied):
        search_children(council_store, analyst, purpose=Purpose.LINKAGE_REVIEW, text="Smith")
    with council_store.connect() as conn:
        refused = conn.execute(select(AuditEvent).where(AuditEvent.actor == analyst.username)).one()
    assert refused.details["allowed"] is False and refused.action == "access.search"


def test_each_search_is_audited_with_kinds_of_criteria_not_values(council_store: Engine) -> None:
    _, record = named(council_store)[0]
    found = search(council_store, text=record.surname, date_of_birth=record.date_of_birth)
    with council_store.connect() as conn:
        entry = conn.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "access.search")
            .order_by(AuditEvent.id.desc())
        ).first()
    assert entry is not None
    assert entry.details["criteria"] == ["text", "date_of_birth"]
    assert entry.details["hits"] == len(found)
    assert record.surname.upper() not in str(entry.details).upper()


# -- the scorer, as a table ------------------------------------------------------------------

WORDS = [
    # searched, recorded, at least, at most
    ("KELLY", "KELLY", 1.0, 1.0),
    ("KELY", "KELLY", 0.9, 0.99),
    ("MOHAMMED", "MUHAMMAD", 0.85, 0.99),
    ("SMITH", "JONES", 0.0, 0.6),
]


@pytest.mark.parametrize(("word", "part", "low", "high"), WORDS)
def test_word_scores(word: str, part: str, low: float, high: float) -> None:
    assert low <= word_score(word, part) <= high


NAMES = [
    # searched, forename, middle names, surname, matches?
    ("Daisy Kelly", "Daisy", None, "Kelly", True),
    ("Kelly Daisy", "Daisy", None, "Kelly", True),  # surname first
    ("Kelly", "Daisy", None, "Kelly", True),
    ("Kyle Kelly", "Daisy", None, "Kelly", False),  # Kyle is not Daisy, nor a surname
    ("Max Hussain-Dixon", "Max", None, "Hussain-Dixon", True),
    ("Max Hussain Dixon", "Max", None, "Hussain-Dixon", True),
    ("Hussain Dixon", "Max", None, "Hussain-Dixon", True),  # surnames only
    ("Max Husain-Dixon", "Max", None, "Hussain-Dixon", True),  # misspelt
    ("Mary Jane Smith", "Mary-Jane", None, "Smith", True),
    ("Jane Smith", "Mary", "Jane", "Smith", True),  # known by a middle name
    ("Mohammed Khan", "Muhammad", None, "Khan", True),  # transliteration
    ("Bill Jones", "William", None, "Jones", True),  # nickname
    ("Smith Jones", "Daisy", None, "Kelly", False),
]


@pytest.mark.parametrize(("searched", "forename", "middle", "surname", "matches"), NAMES)
def test_which_names_match(
    searched: str, forename: str, middle: str | None, surname: str, matches: bool
) -> None:
    row = SimpleNamespace(
        forename=forename,
        middle_names=middle,
        surname=surname,
        preferred_surname=None,
        former_surname=None,
    )
    assert (name_score(search_words(searched), row) is not None) is matches


def test_group_ids_are_shared_by_nicknames() -> None:
    groups = forename_groups()
    by_group: dict[int, set[str]] = defaultdict(set)
    for name, ids in groups.items():
        for i in ids:
            by_group[i].add(name)
    names = next(sorted(n) for n in by_group.values() if len(n) > 1)
    assert word_score(names[0], names[1]) >= 0.95
