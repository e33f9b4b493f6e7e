"""The pseudonymised analytical extract: per purpose, the fields it needs and nothing more.

Each purpose declares its fields (``PURPOSES``); every field has a description that becomes the
extract's data dictionary (``FIELDS``). Persons and identifiers become keyed pseudonyms, dates
become months, postcodes become districts; names, full dates, raw rows and free text never
leave. Ethnicity goes only to a purpose that needs it. The counts table passes disclosure
control (``wholechild.core.disclosure``). Pure: the caller reads the store and writes files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, TypeVar

from wholechild.core.disclosure import CountTable, SuppressedTable, suppress
from wholechild.governance.pseudonyms import Pseudonymiser, district, month

__all__ = [
    "CHILD_FILE",
    "EVENT_FILE",
    "FIELDS",
    "PURPOSES",
    "ChildFacts",
    "EventFacts",
    "ExtractSpec",
    "child_row",
    "event_row",
    "summary_table",
]

T = TypeVar("T", str, date)

CHILD_FILE: Final = "children.csv"
EVENT_FILE: Final = "events.csv"

FIELDS: Final[dict[str, str]] = {
    "person_pseudonym": "The child, as a keyed pseudonym (HMAC-SHA256 under the extract's key): "
    "the same child has the same pseudonym in every extract made with the same key.",
    "birth_month": "Month of birth (YYYY-MM), the value most of the child's records give.",
    "sex": "Sex as recorded (M, F, U), the value most of the child's records give.",
    "ethnicity": "DfE ethnicity code (e.g. WBRI), the value most of the child's records give.",
    "district": "Postcode district (outward code, e.g. LS6) of the latest known postcode.",
    "upn_pseudonym": "The child's Unique Pupil Number, as a keyed pseudonym: to match "
    "education records across extracts made with the same key; the UPN itself is not given.",
    "event_type": "What happened (e.g. cin_episodes, cp_plans, ehcp_requests; see GLOSSARY.md).",
    "category": "The kind of agency that recorded it (social_care, education, send, health...).",
    "start_month": "Month the event started (YYYY-MM).",
    "end_month": "Month the event ended (YYYY-MM); empty while open.",
    "code": "The event's code from its DfE code list (category of need, category of abuse, "
    "placement type, SEN need type, exclusion category); only for the coded event types.",
}

_SOCIAL_CARE: Final = frozenset(
    {"cin_episodes", "cin_assessments", "cin_plans", "cp_plans", "cla_episodes", "cla_reviews"}
)
_SEND: Final = frozenset(
    {"ehcp_requests", "ehcp_assessment", "ehcp_named_plan", "ehcp_active_plans", "sen_need"}
)
_CODED: Final = frozenset({"cin_episodes", "cp_plans", "cla_episodes", "sen_need", "exclusion"})


@dataclass(frozen=True, slots=True)
class ExtractSpec:
    """What one purpose may have: the child fields, the event types, and which carry codes."""

    purpose: str
    title: str
    description: str
    child_fields: tuple[str, ...]
    event_types: frozenset[str]
    event_fields: tuple[str, ...] = (
        "person_pseudonym", "event_type", "category", "start_month", "end_month", "code",
    )  # fmt: skip
    coded_event_types: frozenset[str] = _CODED


PURPOSES: Final[dict[str, ExtractSpec]] = {
    "statutory_return": ExtractSpec(
        purpose="statutory_return",
        title="Statutory returns (CIN census, SSDA903, SEN2) and their checks",
        description="Child-level data behind the DfE returns: the returns themselves report "
        "ethnicity, so it is included; UPNs are pseudonymised for matching across extracts.",
        child_fields=(
            "person_pseudonym",
            "birth_month",
            "sex",
            "ethnicity",
            "district",
            "upn_pseudonym",
        ),
        event_types=_SOCIAL_CARE | _SEND,
    ),
    "service_planning": ExtractSpec(
        purpose="service_planning",
        title="Needs analysis and service planning",
        description="Demand by age, area and kind of involvement, for planning services; no "
        "ethnicity and no identifier pseudonyms (not needed for this purpose).",
        child_fields=("person_pseudonym", "birth_month", "sex", "district"),
        event_types=_SOCIAL_CARE | _SEND | frozenset({"exclusion", "school_enrolment"}),
    ),
}


@dataclass(frozen=True, slots=True)
class ChildFacts:
    """One child's values from all their (unsealed) source records."""

    subject: str  # "person:12", or "record:<id>" for a record not linked to a person
    dates_of_birth: tuple[date, ...] = ()
    sexes: tuple[str, ...] = ()
    ethnicities: tuple[str, ...] = ()
    upns: tuple[str, ...] = ()
    latest_postcode: str | None = None


@dataclass(frozen=True, slots=True)
class EventFacts:
    subject: str
    event_type: str
    category: str
    start_date: date | None
    end_date: date | None
    code: str | None


def _most_common(values: Sequence[T]) -> T | None:
    """The value most records give; a tie goes to the smallest (so extracts are repeatable)."""
    if not values:
        return None
    counts = Counter(values)
    best = max(counts.values())
    return min(v for v, n in counts.items() if n == best)


def child_row(spec: ExtractSpec, child: ChildFacts, pseudonyms: Pseudonymiser) -> dict[str, str]:
    """The child's row: only the purpose's fields, every value pseudonymised or coarsened."""
    upn = _most_common(child.upns)
    values = {
        "person_pseudonym": pseudonyms.of("person", child.subject),
        "birth_month": month(_most_common(child.dates_of_birth)),
        "sex": _most_common(child.sexes),
        "ethnicity": _most_common(child.ethnicities),
        "district": district(child.latest_postcode),
        "upn_pseudonym": pseudonyms.of("upn", upn) if upn else None,
    }
    return {f: values[f] or "" for f in spec.child_fields}


def event_row(
    spec: ExtractSpec, event: EventFacts, pseudonyms: Pseudonymiser
) -> dict[str, str] | None:
    """The event's row, or None when the purpose does not need this kind of event."""
    if event.event_type not in spec.event_types:
        return None
    coded = event.event_type in spec.coded_event_types
    values = {
        "person_pseudonym": pseudonyms.of("person", event.subject),
        "event_type": event.event_type,
        "category": event.category,
        "start_month": month(event.start_date),
        "end_month": month(event.end_date),
        "code": event.code if coded else None,
    }
    return {f: values[f] or "" for f in spec.event_fields}


def summary_table(rows: Iterable[dict[str, str]], *, threshold: int) -> SuppressedTable | None:
    """Events by type and year started, small counts suppressed; None when there are none."""
    counts: Counter[tuple[str, str]] = Counter(
        (r["event_type"], r["start_month"][:4] or "unknown") for r in rows
    )
    if not counts:
        return None
    types = tuple(sorted({t for t, _ in counts}))
    years = tuple(sorted({y for _, y in counts}))
    table = CountTable(types, years, tuple(tuple(counts[(t, y)] for y in years) for t in types))
    return suppress(table, threshold=threshold)
