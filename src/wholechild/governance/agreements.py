"""Data-sharing agreements as rules: when one is in force, what it covers, whether its lawful
bases hold together, and which partner may see what because of it.

Pure domain: no storage, no web, no ``os``. An agreement names its parties, the source systems
whose files arrive under it, the partner agency whose staff it lets see shared data, the access
purposes and data categories it covers, and its lawful basis: the UK GDPR Article 6 basis and,
for special category data, the Article 9 condition with, where the Data Protection Act 2018
s.10 requires one, its Schedule 1 condition. See docs/governance/agreements.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Final

from wholechild.core.access import Category, Purpose
from wholechild.errors import UserError

__all__ = [
    "AGREEMENT_DATES",
    "AGREEMENT_TERMS",
    "ART6_BASES",
    "ART9_CONDITIONS",
    "COUNCIL_OWN_FORMATS",
    "PARTNER_AGENCIES",
    "SCHEDULE1_CONDITIONS",
    "Agreement",
    "AgreementProblem",
    "AgreementStatus",
    "AgreementWarning",
    "InvalidAgreementError",
    "NoAgreementError",
    "agreement_from_mapping",
    "agreements_from_document",
    "check_agreement",
    "covering",
    "needs_agreement",
    "partner_allows",
    "status_on",
    "warnings_on",
]

# The formats of the council's own statutory systems: its social-care system (CIN census,
# SSDA903, Ofsted Annex A lists) and its SEND system (SEN2). The council is the controller of
# these records, so they need no data-sharing agreement. Every other file (school census,
# health, police, early help, housing extracts in mapped CSV/XLSX) comes from a partner and is
# refused at ingestion unless an agreement covering its source system is in force.
COUNCIL_OWN_FORMATS: Final = frozenset({"cin", "ssda903", "sen2", "annex-a"})

# Agencies whose staff see shared data only as far as an agreement in force allows.
PARTNER_AGENCIES: Final = frozenset(
    {Category.EDUCATION, Category.HEALTH, Category.POLICE, Category.EARLY_HELP, Category.HOUSING}
)

# UK GDPR Article 6(1): the lawful bases.
ART6_BASES: Final = {
    "a": "consent",
    "b": "contract",
    "c": "legal obligation",
    "d": "vital interests",
    "e": "public task",
    "f": "legitimate interests",
}

# UK GDPR Article 9(2): the conditions for processing special category data.
ART9_CONDITIONS: Final = {
    "a": "explicit consent",
    "b": "employment and social protection law",
    "c": "vital interests",
    "d": "not-for-profit bodies",
    "e": "made public by the data subject",
    "f": "legal claims and judicial acts",
    "g": "substantial public interest",
    "h": "health or social care",
    "i": "public health",
    "j": "archiving, research and statistics",
}

# DPA 2018 Schedule 1: Part 1 (employment, health, research) and Part 2 (substantial public
# interest) conditions, by (part, paragraph).
SCHEDULE1_CONDITIONS: Final = {
    (1, 1): "employment, social security and social protection",
    (1, 2): "health or social care purposes",
    (1, 3): "public health",
    (1, 4): "research etc",
    (2, 6): "statutory and government purposes",
    (2, 7): "administration of justice and parliamentary purposes",
    (2, 8): "equality of opportunity or treatment",
    (2, 9): "racial and ethnic diversity at senior levels of organisations",
    (2, 10): "preventing or detecting unlawful acts",
    (2, 11): "protecting the public",
    (2, 12): "regulatory requirements",
    (2, 13): "journalism etc in connection with unlawful acts",
    (2, 14): "preventing fraud",
    (2, 15): "suspicion of terrorist financing or money laundering",
    (2, 16): "support for individuals with a particular disability or medical condition",
    (2, 17): "counselling",
    (2, 18): "safeguarding of children and individuals at risk",
    (2, 19): "safeguarding of economic well-being of certain individuals",
    (2, 20): "insurance",
    (2, 21): "occupational pensions",
    (2, 22): "political parties",
    (2, 23): "elected representatives responding to requests",
    (2, 24): "disclosure to elected representatives",
    (2, 25): "informing elected representatives about prisoners",
    (2, 26): "publication of legal judgments",
    (2, 27): "anti-doping in sport",
    (2, 28): "standards of behaviour in sport",
}

# DPA 2018 s.10(2)-(3): these Art. 9 conditions need a Schedule 1 condition; (g) any Part 2
# condition (None), the others the one Part 1 paragraph that matches them.
_SCHEDULE1_NEEDED: Final[dict[str, tuple[int, int] | None]] = {
    "b": (1, 1),
    "g": None,
    "h": (1, 2),
    "i": (1, 3),
    "j": (1, 4),
}

# Categories whose records carry special category data (ethnicity on every child record;
# health, SEN and safeguarding details): sharing them needs an Art. 9 condition.
SPECIAL_CATEGORY_DATA: Final = frozenset(Category) - {Category.HOUSING, Category.OTHER}

_ART6 = re.compile(r"^(?:uk\s*gdpr\s*)?(?:art(?:icle)?\.?\s*)?6\s*\(\s*1\s*\)\s*\(\s*([a-z])\s*\)")
_ART9 = re.compile(r"^(?:uk\s*gdpr\s*)?(?:art(?:icle)?\.?\s*)?9\s*\(\s*2\s*\)\s*\(\s*([a-z])\s*\)")
_SCH1 = re.compile(
    r"^(?:dpa\s*(?:2018)?\s*)?sch(?:edule)?\.?\s*1\s*,?\s*p(?:ar)?t\.?\s*(\d)\s*,?\s*"
    r"para(?:graph)?\.?\s*(\d+)"
)


class NoAgreementError(UserError):
    """A partner's file arrived with no data-sharing agreement in force covering its source."""

    exit_code = 7


class InvalidAgreementError(UserError):
    """An agreement (or a file of them) has problems; every one is listed."""

    exit_code = 2

    def __init__(self, problems: Sequence[AgreementProblem]) -> None:
        lines = [f"  - {p}" for p in problems]
        super().__init__(
            f"{len(problems)} problem(s) in the data-sharing agreement(s):\n" + "\n".join(lines),
            fix="correct each problem listed (each says where and how); nothing was recorded",
        )
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class AgreementProblem:
    """One problem in one place: which agreement, which field, what, and how to fix it."""

    where: str
    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}, {self.field}: {self.message}. Fix: {self.fix}"


@dataclass(frozen=True, slots=True)
class Agreement:
    """A data-sharing agreement's terms (canonical forms of its lawful bases)."""

    ref: str
    title: str
    parties: tuple[str, ...]
    source_systems: tuple[str, ...]
    partner_category: str
    purposes: tuple[str, ...]
    categories: tuple[str, ...]
    lawful_basis: str
    start_date: date
    special_category_condition: str | None = None
    schedule1_condition: str | None = None
    end_date: date | None = None
    review_date: date | None = None

    def in_force(self, on: date) -> bool:
        """In force from its start date to its end date, both inclusive."""
        return self.start_date <= on and (self.end_date is None or on <= self.end_date)

    def covers(self, *, purpose: str, category: str) -> bool:
        return purpose in self.purposes and category in self.categories


# -- lawful bases: parse to canonical form ---------------------------------------------------


def art6_basis(text: str) -> str | None:
    """'6(1)(e)', 'Art 6(1)(e) public task', 'UK GDPR Article 6(1)(e)' -> 'Art. 6(1)(e) public
    task'; None when it is not an Art. 6(1) basis."""
    match = _ART6.match(text.strip().lower())
    if match is None or match.group(1) not in ART6_BASES:
        return None
    letter = match.group(1)
    return f"Art. 6(1)({letter}) {ART6_BASES[letter]}"


def art9_condition(text: str) -> str | None:
    """'9(2)(g)', 'Art. 9(2)(g) ...' -> 'Art. 9(2)(g) substantial public interest'."""
    match = _ART9.match(text.strip().lower())
    if match is None or match.group(1) not in ART9_CONDITIONS:
        return None
    letter = match.group(1)
    return f"Art. 9(2)({letter}) {ART9_CONDITIONS[letter]}"


def schedule1_condition(text: str) -> str | None:
    """'Sch.1 Pt.2 para 18', 'Schedule 1, Part 2, paragraph 18' -> 'Sch.1 Pt.2 para 18:
    safeguarding of children and individuals at risk'."""
    match = _SCH1.match(text.strip().lower())
    if match is None:
        return None
    key = (int(match.group(1)), int(match.group(2)))
    if key not in SCHEDULE1_CONDITIONS:
        return None
    return f"Sch.1 Pt.{key[0]} para {key[1]}: {SCHEDULE1_CONDITIONS[key]}"


def _letter(canonical: str) -> str:
    return canonical.split(")(", 1)[1][0]


def _schedule1_key(canonical: str) -> tuple[int, int]:
    match = _SCH1.match(canonical.lower())
    assert match is not None
    return int(match.group(1)), int(match.group(2))


# -- reading an agreement from a mapping (YAML, CLI options) --------------------------------

# An agreement's terms, in the order they are written: what it says, then when it runs.
AGREEMENT_TERMS: Final = (
    "ref",
    "title",
    "parties",
    "source_systems",
    "partner_category",
    "purposes",
    "categories",
    "lawful_basis",
    "special_category_condition",
    "schedule1_condition",
)
AGREEMENT_DATES: Final = ("start_date", "end_date", "review_date")
_FIELDS: Final = AGREEMENT_TERMS + AGREEMENT_DATES


@dataclass(slots=True)
class _Reader:
    where: str
    data: Mapping[str, Any]
    problems: list[AgreementProblem] = field(default_factory=list)

    def problem(self, name: str, message: str, fix: str) -> None:
        self.problems.append(AgreementProblem(self.where, name, message, fix))

    def text(self, name: str, *, required: bool = True) -> str | None:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(name, "is missing", f"give the agreement's {name.replace('_', ' ')}")
            return None
        return str(value).strip()

    def texts(self, name: str) -> tuple[str, ...]:
        value = self.data.get(name)
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            self.problem(name, "is not a list", f"write {name} as a list, e.g. [a, b]")
            return ()
        return tuple(str(v).strip() for v in items if str(v).strip())

    def day(self, name: str, *, required: bool = False) -> date | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                self.problem(name, "is missing", "give the date as YYYY-MM-DD")
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.problem(name, f"'{value}' is not a date", "write it as YYYY-MM-DD")
            return None


def agreement_from_mapping(
    data: Mapping[str, Any], where: str
) -> tuple[Agreement | None, list[AgreementProblem]]:
    """An agreement from plain values (a YAML entry, CLI options), with every problem in it.

    Returns ``(agreement, [])`` when it is valid, ``(None, problems)`` otherwise."""
    reader = _Reader(where, data)
    unknown = sorted(set(data) - set(_FIELDS))
    for name in unknown:
        reader.problem(name, "is not a field of an agreement", f"use only: {', '.join(_FIELDS)}")
    values: dict[str, Any] = {
        "ref": reader.text("ref"),
        "title": reader.text("title"),
        "partner_category": reader.text("partner_category"),
        "lawful_basis": reader.text("lawful_basis"),
        "special_category_condition": reader.text("special_category_condition", required=False),
        "schedule1_condition": reader.text("schedule1_condition", required=False),
        "start_date": reader.day("start_date", required=True),
        "end_date": reader.day("end_date"),
        "review_date": reader.day("review_date"),
    }
    for name in ("parties", "source_systems", "purposes", "categories"):
        values[name] = reader.texts(name)
    if reader.problems:
        return None, reader.problems
    agreement = Agreement(**values)
    problems = check_agreement(agreement, where)
    return (None, problems) if problems else (_canonical(agreement), [])


def _canonical(agreement: Agreement) -> Agreement:
    """The agreement with its lawful bases written the one way (check_agreement passed)."""
    special = agreement.special_category_condition
    schedule1 = agreement.schedule1_condition
    return replace(
        agreement,
        lawful_basis=art6_basis(agreement.lawful_basis) or agreement.lawful_basis,
        special_category_condition=art9_condition(special) if special else None,
        schedule1_condition=schedule1_condition(schedule1) if schedule1 else None,
    )


def agreements_from_document(
    document: Any, name: str
) -> tuple[list[Agreement], list[AgreementProblem]]:
    """The agreements in a parsed YAML document (``agreements: [...]`` or a bare list), with
    every problem in every one of them; when there are problems, no agreements."""
    entries = document.get("agreements") if isinstance(document, Mapping) else document
    if not isinstance(entries, list) or not entries:
        return [], [
            AgreementProblem(
                name, "agreements", "no list of agreements", "write 'agreements:' then a list"
            )
        ]
    found: list[Agreement] = []
    problems: list[AgreementProblem] = []
    for number, entry in enumerate(entries, start=1):
        ref = entry.get("ref") if isinstance(entry, Mapping) else None
        where = f"{name}: agreement {number}" + (f" ({ref})" if ref else "")
        if not isinstance(entry, Mapping):
            problems.append(AgreementProblem(where, "-", "is not a mapping", "write key: value"))
            continue
        agreement, more = agreement_from_mapping(entry, where)
        problems.extend(more)
        if agreement is not None:
            found.append(agreement)
    refs = [a.ref for a in found]
    for ref in sorted({r for r in refs if refs.count(r) > 1}):
        problems.append(AgreementProblem(name, "ref", f"{ref} appears twice", "one entry per ref"))
    return ([], problems) if problems else (found, [])


# -- checking an agreement: every problem at once -------------------------------------------

_PURPOSES: Final = ", ".join(p.value for p in Purpose)
_CATEGORIES: Final = ", ".join(c.value for c in Category)


def check_agreement(agreement: Agreement, where: str | None = None) -> list[AgreementProblem]:
    """Every problem in an agreement's terms, each with where and how to fix it."""
    at = where or f"agreement {agreement.ref or '(no ref)'}"
    problems = [
        *_check_terms(agreement, at),
        *_check_dates(agreement, at),
        *_check_lawful_basis(agreement, at),
    ]
    return problems


def _check_terms(a: Agreement, at: str) -> Iterable[AgreementProblem]:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}", a.ref):
        yield AgreementProblem(
            at, "ref", "is not a reference", "use up to 64 letters, digits and . _ / -"
        )
    if len(a.parties) < 2:
        yield AgreementProblem(
            at, "parties", "an agreement has at least two parties", "name every organisation"
        )
    if a.partner_category not in {c.value for c in PARTNER_AGENCIES}:
        named = ", ".join(sorted(c.value for c in PARTNER_AGENCIES))
        yield AgreementProblem(
            at, "partner_category", f"'{a.partner_category}' is not a partner agency", named
        )
    bad_purposes = [p for p in a.purposes if p not in {x.value for x in Purpose}]
    if not a.purposes or bad_purposes:
        what = f"unknown: {', '.join(bad_purposes)}" if bad_purposes else "none given"
        yield AgreementProblem(at, "purposes", what, f"use access purposes from: {_PURPOSES}")
    bad_categories = [c for c in a.categories if c not in {x.value for x in Category}]
    if not a.categories or bad_categories:
        what = f"unknown: {', '.join(bad_categories)}" if bad_categories else "none given"
        yield AgreementProblem(at, "categories", what, f"use data categories from: {_CATEGORIES}")


def _check_dates(a: Agreement, at: str) -> Iterable[AgreementProblem]:
    if a.end_date is not None and a.end_date < a.start_date:
        yield AgreementProblem(
            at, "end_date", "is before the start date", "the end date is on or after the start"
        )
    if a.review_date is not None and a.review_date < a.start_date:
        yield AgreementProblem(
            at, "review_date", "is before the start date", "review after the agreement starts"
        )
    if a.review_date is not None and a.end_date is not None and a.review_date > a.end_date:
        yield AgreementProblem(
            at, "review_date", "is after the end date", "review on or before the end date"
        )
    if a.end_date is None and a.review_date is None:
        yield AgreementProblem(
            at, "review_date", "an open-ended agreement needs a review date", "give review_date"
        )


def _check_lawful_basis(a: Agreement, at: str) -> Iterable[AgreementProblem]:
    basis = art6_basis(a.lawful_basis)
    if basis is None:
        bases = "; ".join(f"Art. 6(1)({k}) {v}" for k, v in ART6_BASES.items())
        yield AgreementProblem(
            at, "lawful_basis", f"'{a.lawful_basis}' is not a UK GDPR Art. 6(1) basis", bases
        )
    elif _letter(basis) == "f":
        yield AgreementProblem(
            at,
            "lawful_basis",
            "a public authority may not rely on legitimate interests for its tasks "
            "(UK GDPR Art. 6(1), last sentence)",
            "use Art. 6(1)(e) public task for a council's statutory functions",
        )
    yield from _check_special_category(a, at)


def _check_special_category(a: Agreement, at: str) -> Iterable[AgreementProblem]:
    special = sorted(c for c in a.categories if c in {x.value for x in SPECIAL_CATEGORY_DATA})
    if a.special_category_condition is None:
        if special:
            yield AgreementProblem(
                at,
                "special_category_condition",
                f"{', '.join(special)} data is special category data and needs an Art. 9 condition",
                "give one, e.g. Art. 9(2)(g) substantial public interest",
            )
        return
    condition = art9_condition(a.special_category_condition)
    if condition is None:
        conditions = "; ".join(f"Art. 9(2)({k}) {v}" for k, v in ART9_CONDITIONS.items())
        yield AgreementProblem(
            at,
            "special_category_condition",
            f"'{a.special_category_condition}' is not a UK GDPR Art. 9(2) condition",
            conditions,
        )
        return
    yield from _check_schedule1(a, at, _letter(condition))


def _check_schedule1(a: Agreement, at: str, art9: str) -> Iterable[AgreementProblem]:
    given = a.schedule1_condition
    parsed = schedule1_condition(given) if given else None
    if given and parsed is None:
        yield AgreementProblem(
            at,
            "schedule1_condition",
            f"'{given}' is not a DPA 2018 Schedule 1 Part 1 or Part 2 condition",
            "write it as 'Sch.1 Pt.2 para 18' (Part 1: paras 1-4; Part 2: paras 6-28)",
        )
        return
    if art9 not in _SCHEDULE1_NEEDED:
        return
    needed = _SCHEDULE1_NEEDED[art9]
    wanted = (
        "a Schedule 1 Part 2 condition, e.g. Sch.1 Pt.2 para 18 (safeguarding)"
        if needed is None
        else f"Sch.1 Pt.{needed[0]} para {needed[1]} ({SCHEDULE1_CONDITIONS[needed]})"
    )
    if parsed is None:
        yield AgreementProblem(
            at,
            "schedule1_condition",
            f"Art. 9(2)({art9}) needs a DPA 2018 Schedule 1 condition (DPA 2018 s.10)",
            f"give {wanted}",
        )
        return
    key = _schedule1_key(parsed)
    if (needed is None and key[0] != 2) or (needed is not None and key != needed):
        yield AgreementProblem(
            at,
            "schedule1_condition",
            f"{parsed.split(':')[0]} does not go with Art. 9(2)({art9})",
            f"use {wanted}",
        )


# -- rules over a set of agreements ---------------------------------------------------------


def needs_agreement(format_name: str) -> bool:
    """A file needs an agreement unless it is in a format of the council's own systems."""
    return format_name.replace("_", "-") not in COUNCIL_OWN_FORMATS


def covering(agreements: Iterable[Agreement], source_system: str, on: date) -> list[Agreement]:
    """The agreements in force on ``on`` under which ``source_system``'s files may arrive,
    latest start first (then by ref)."""
    found = [a for a in agreements if source_system in a.source_systems and a.in_force(on)]
    return sorted(found, key=lambda a: (-a.start_date.toordinal(), a.ref))


def partner_allows(
    agreements_in_force: Iterable[Agreement],
    *,
    partner_category: str,
    purpose: str,
    category: str,
) -> bool:
    """May staff of agency ``partner_category`` see ``category`` data for ``purpose``?

    Staff of a partner agency (``PARTNER_AGENCIES``) see their own agency's data, and another
    category only when an agreement in force with their agency covers that category and that
    purpose. The council's own staff are not limited by agreements (the access policy decides).
    Callers pass the agreements in force on the day (``read.agreements.agreements_in_force``).
    """
    if partner_category not in {c.value for c in PARTNER_AGENCIES}:
        return True
    if category == partner_category:
        return True
    return any(
        a.partner_category == partner_category and a.covers(purpose=purpose, category=category)
        for a in agreements_in_force
    )


class AgreementStatus(StrEnum):
    NOT_YET_STARTED = "not yet started"
    IN_FORCE = "in force"
    EXPIRING_SOON = "expiring soon"
    EXPIRED = "expired"


def status_on(agreement: Agreement, on: date, *, within_days: int = 60) -> AgreementStatus:
    """An agreement's status on a date; 'expiring soon' when it ends within ``within_days``."""
    if on < agreement.start_date:
        return AgreementStatus.NOT_YET_STARTED
    if agreement.end_date is not None and agreement.end_date < on:
        return AgreementStatus.EXPIRED
    if agreement.end_date is not None and agreement.end_date <= on + timedelta(days=within_days):
        return AgreementStatus.EXPIRING_SOON
    return AgreementStatus.IN_FORCE


@dataclass(frozen=True, slots=True)
class AgreementWarning:
    """Something an information-governance officer must act on before it bites."""

    ref: str
    kind: str  # "expiring" | "review overdue"
    message: str


def warnings_on(
    agreements: Iterable[Agreement], on: date, *, within_days: int = 60
) -> list[AgreementWarning]:
    """Agreements ending within ``within_days`` of ``on``, and those past their review date
    (agreements already ended are not warned about: they are simply expired)."""
    return [
        warning
        for a in sorted(agreements, key=lambda x: x.ref)
        for warning in _warnings_for(a, on, within_days)
    ]


def _warnings_for(a: Agreement, on: date, within_days: int) -> Iterable[AgreementWarning]:
    status = status_on(a, on, within_days=within_days)
    if status is AgreementStatus.EXPIRED:
        return
    if status is AgreementStatus.EXPIRING_SOON and a.end_date is not None:
        days = (a.end_date - on).days
        yield AgreementWarning(a.ref, "expiring", f"{a.ref} ends on {a.end_date} ({days} days)")
    if a.review_date is not None and a.review_date < on:
        overdue = (on - a.review_date).days
        yield AgreementWarning(
            a.ref,
            "review overdue",
            f"{a.ref} was due for review on {a.review_date} ({overdue} days ago)",
        )
