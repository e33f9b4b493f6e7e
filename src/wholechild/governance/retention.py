"""Retention rules as data, and the small engine that says when a source record is due.

The rules (``retention_rules.yaml`` beside this file, or the council's own file named by
``WHOLECHILD_RETENTION_RULES``) say, per kind of source record, the date its retention period
runs from (its *trigger*), the period in years, and the action when it ends (delete or
pseudonymise). Every problem in a rules file is reported at once.

Deciding a record: every rule covering it gives a due date; the latest wins (the rule that
keeps it longest). A rule whose trigger date is unknown (no date of birth, an open
involvement) keeps the record: it is *undetermined*, never due. A record no rule covers is
kept. Pure: no storage, no files (the caller reads the text).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Any, Final

import yaml

from wholechild.core.access import Category
from wholechild.errors import ConfigurationError

__all__ = [
    "FORMATS",
    "Disposal",
    "EventFacts",
    "RecordFacts",
    "RetentionRule",
    "RuleSet",
    "Status",
    "Trigger",
    "Verdict",
    "add_years",
    "assess",
    "default_rules",
    "load_rules",
]

RULES_FILE: Final = "retention_rules.yaml"
# The ingestion formats (wholechild.formats.*: ``name``), as ingest_batch.format holds them.
FORMATS: Final = frozenset({"cin", "ssda903", "sen2", "school-census", "annex-a", "mapped"})
_RULE_KEYS: Final = frozenset(
    {
        "id", "title", "formats", "source_systems", "categories", "event_types", "trigger",
        "years", "action", "source", "confirmed",
    }
)  # fmt: skip
_CRITERIA: Final = ("formats", "source_systems", "categories", "event_types")


class Trigger(StrEnum):
    """The date a retention period runs from."""

    DATE_OF_BIRTH = "date_of_birth"
    CLOSURE = "closure"  # the latest end date of the matching events; open: never due
    LAST_EVENT = "last_event"
    RECEIVED = "received"


class Disposal(StrEnum):
    """What happens to a record when its retention period ends."""

    DELETE = "delete"
    PSEUDONYMISE = "pseudonymise"


class Status(StrEnum):
    DUE = "due"
    NOT_DUE = "not_due"
    UNDETERMINED = "undetermined"  # a covering rule's trigger date is unknown: kept
    NO_RULE = "no_rule"  # no rule covers the record: kept


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """One row of the retention schedule."""

    id: str
    title: str
    formats: frozenset[str]
    source_systems: frozenset[str]
    categories: frozenset[str]
    event_types: frozenset[str]
    trigger: Trigger
    years: int
    action: Disposal
    source: str
    confirmed: bool


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules in force, and the SHA-256 of the text they came from (kept with each run)."""

    rules: tuple[RetentionRule, ...]
    rules_hash: str

    def rule(self, rule_id: str) -> RetentionRule:
        return next(r for r in self.rules if r.id == rule_id)


@dataclass(frozen=True, slots=True)
class EventFacts:
    event_type: str
    start_date: date | None
    end_date: date | None


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What the engine needs to know about one source record (no names, no identifiers)."""

    record_id: str
    format: str
    source_system: str
    category: str
    date_of_birth: date | None
    received: date
    events: tuple[EventFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """A record's standing on ``as_of``: the deciding rule (if any) and its due date."""

    record_id: str
    status: Status
    rule_id: str | None
    due_on: date | None
    action: Disposal | None


# --- the engine ---------------------------------------------------------------------------


def add_years(start: date, years: int) -> date:
    """``start`` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def covers(rule: RetentionRule, record: RecordFacts) -> bool:
    """True when the record meets every criterion the rule gives."""
    return (
        (not rule.formats or record.format in rule.formats)
        and (not rule.source_systems or record.source_system in rule.source_systems)
        and (not rule.categories or record.category in rule.categories)
        and (not rule.event_types or any(e.event_type in rule.event_types for e in record.events))
    )


def trigger_date(rule: RetentionRule, record: RecordFacts) -> date | None:
    """The date the rule's period runs from for this record; None when unknown or still open."""
    if rule.trigger is Trigger.DATE_OF_BIRTH:
        return record.date_of_birth
    if rule.trigger is Trigger.RECEIVED:
        return record.received
    events = [e for e in record.events if not rule.event_types or e.event_type in rule.event_types]
    if rule.trigger is Trigger.CLOSURE:
        if not events or any(e.end_date is None for e in events):
            return None
        return max(e.end_date for e in events if e.end_date is not None)
    dates = [d for e in events for d in (e.start_date, e.end_date) if d is not None]
    return max(dates, default=None)


def assess(record: RecordFacts, rules: RuleSet, *, as_of: date) -> Verdict:
    """The record's standing on ``as_of`` under ``rules`` (the longest-keeping rule wins)."""
    dues: list[tuple[date, RetentionRule]] = []
    for rule in rules.rules:
        if not covers(rule, record):
            continue
        start = trigger_date(rule, record)
        if start is None:
            return Verdict(record.record_id, Status.UNDETERMINED, rule.id, None, rule.action)
        dues.append((add_years(start, rule.years), rule))
    if not dues:
        return Verdict(record.record_id, Status.NO_RULE, None, None, None)
    due_on, rule = max(dues, key=lambda d: d[0])
    status = Status.DUE if due_on <= as_of else Status.NOT_DUE
    return Verdict(record.record_id, status, rule.id, due_on, rule.action)


# --- loading and checking rules -----------------------------------------------------------


def load_rules(text: str, *, where: str = RULES_FILE) -> RuleSet:
    """Parse and check a rules file; every problem is reported at once."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError(
            f"{where} is not YAML: {exc}", fix="correct the file's indentation and punctuation"
        ) from None
    problems: list[str] = []
    items = _rule_items(raw, problems)
    rules = [r for n, item in enumerate(items) if (r := _rule(n, item, problems)) is not None]
    problems.extend(_duplicates(r.id for r in rules))
    if problems:
        raise ConfigurationError(
            f"the retention rules in {where} have {len(problems)} problems: " + "; ".join(problems),
            fix="correct each rule as described (see docs/governance/retention.md)",
        )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return RuleSet(tuple(rules), digest)


@cache
def default_rules() -> RuleSet:
    """The packaged rules (``wholechild/governance/retention_rules.yaml``)."""
    text = files("wholechild.governance").joinpath(RULES_FILE).read_text(encoding="utf-8")
    return load_rules(text)


def _rule_items(raw: object, problems: list[str]) -> list[Any]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("rules"), list):
        problems.append("the file needs a top-level 'rules:' list")
        return []
    if raw.get("version") != 1:
        problems.append("version: must be 1")
    if not raw["rules"]:
        problems.append("rules: the list is empty (no record would ever be due)")
    return list(raw["rules"])


def _rule(n: int, item: object, problems: list[str]) -> RetentionRule | None:
    if not isinstance(item, Mapping):
        problems.append(f"rule {n + 1}: must be a mapping of id, trigger, years, action...")
        return None
    where = f"rule {n + 1} ({item.get('id', 'no id')})"
    found = _rule_problems(item)
    problems.extend(f"{where}: {p}" for p in found)
    if found:
        return None
    return RetentionRule(
        id=str(item["id"]),
        title=str(item.get("title") or item["id"]),
        formats=frozenset(item.get("formats") or ()),
        source_systems=frozenset(item.get("source_systems") or ()),
        categories=frozenset(item.get("categories") or ()),
        event_types=frozenset(item.get("event_types") or ()),
        trigger=Trigger(item["trigger"]),
        years=int(item["years"]),
        action=Disposal(item["action"]),
        source=str(item["source"]).strip(),
        confirmed=bool(item.get("confirmed", False)),
    )


def _rule_problems(item: Mapping[str, Any]) -> list[str]:
    problems = [f"unknown key '{k}'" for k in sorted(set(item) - _RULE_KEYS, key=str)]
    if not isinstance(item.get("id"), str) or not item["id"].strip():
        problems.append("id: required, e.g. looked_after_case_file")
    problems.extend(_choice("trigger", item.get("trigger"), Trigger))
    problems.extend(_choice("action", item.get("action"), Disposal))
    years = item.get("years")
    if isinstance(years, bool) or not isinstance(years, int) or not 0 < years <= 150:
        problems.append("years: a whole number of years from 1 to 150")
    if not isinstance(item.get("source"), str) or not item["source"].strip():
        problems.append("source: say where the period comes from (guideline, regulation)")
    if "confirmed" in item and not isinstance(item["confirmed"], bool):
        problems.append("confirmed: true or false")
    problems.extend(_criteria_problems(item))
    return problems


def _criteria_problems(item: Mapping[str, Any]) -> list[str]:
    problems = []
    for key in _CRITERIA:
        value = item.get(key)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            problems.append(f"{key}: a list of names, e.g. [cin]")
    if not any(item.get(k) for k in _CRITERIA):
        problems.append(f"say which records the rule covers: one of {', '.join(_CRITERIA)}")
    problems.extend(_unknown("formats", item.get("formats"), FORMATS))
    problems.extend(_unknown("categories", item.get("categories"), {c.value for c in Category}))
    if item.get("trigger") == Trigger.CLOSURE and not item.get("event_types"):
        problems.append("trigger closure: name the event_types whose end closes the record")
    return problems


def _unknown(key: str, values: object, known: Iterable[str]) -> list[str]:
    if not isinstance(values, list):
        return []
    allowed = sorted(known)
    return [
        f"{key}: '{v}' is not one of {', '.join(allowed)}"
        for v in values
        if isinstance(v, str) and v not in allowed
    ]


def _choice(key: str, value: object, kind: type[StrEnum]) -> list[str]:
    names = [m.value for m in kind]
    if value not in names:
        return [f"{key}: '{value}' is not one of {', '.join(names)}"]
    return []


def _duplicates(ids: Iterable[str]) -> Sequence[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for rule_id in ids:
        if rule_id in seen and rule_id not in repeated:
            repeated.append(rule_id)
        seen.add(rule_id)
    return [f"id '{r}' is used by more than one rule" for r in repeated]
