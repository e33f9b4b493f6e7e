"""Statutory clocks: a small engine that runs the declarative spec in ``clock_spec.yaml``.

Given a case's history (the steps recorded, in order) the engine says which steps are allowed
next (and why not, in the caseworker's words), which stage the case is at, and every
statutory clock with its due date and status on a given day. Time limits are calendar days,
weeks or months from the starting step, with no adjustment for weekends or bank holidays, as
the SEND Regulations 2014 count them. ``reference_clocks`` re-computes the same due dates in
plain Python; the tests check one against the other.

Pure domain: no storage, no web; the only file read is the packaged spec.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Any, Final

import yaml

from wholechild.errors import ConfigurationError, UserError

SPEC_FILE: Final = "clock_spec.yaml"
EXCEPTION_STEP: Final = "exception_recorded"
TRANSFER_KINDS: Final = ("phase", "post16")

__all__ = [
    "Clock",
    "ClockRule",
    "ClockSpec",
    "ClockStatus",
    "Step",
    "StepRefusedError",
    "check_step",
    "default_spec",
    "evaluate",
    "load_spec",
    "rules_markdown",
    "stage_of",
]


class StepRefusedError(UserError):
    """A step the statutory process does not allow yet (or at all) for this case."""

    exit_code = 2


class ClockStatus(StrEnum):
    RUNNING = "running"  # started, not yet due, no warning yet
    DUE_SOON = "due_soon"  # within the warning period before the due date
    OVERDUE = "overdue"  # past the due date, not stopped, no exception recorded
    MET = "met"  # stopped on or before the due date
    LATE = "late"  # stopped after the due date, no exception recorded
    EXCEPTION = "exception"  # missed, but an exception allowed by law is recorded
    ENDED = "ended"  # no longer applies (e.g. the 20-week clock after "not to assess")


@dataclass(frozen=True, slots=True)
class Step:
    """One thing that happened in a case, on a day. Only some steps carry the optional parts."""

    step: str
    on: date
    subject: str | None = None  # the adviser, for advice steps
    outcome: str | None = None  # maintain / amend / cease, for a review decision
    transfer_year: int | None = None  # the calendar year of a phase transfer
    transfer_kind: str | None = None  # "phase", or "post16" (secondary to post-16)
    clock: str | None = None  # the clock an exception is recorded against
    reason: str | None = None  # the exception's reason (a key of exception_reasons)
    evidence: str | None = None  # what shows the exception applies


@dataclass(frozen=True, slots=True)
class NotBefore:
    step: str
    days: int
    unless: str | None
    regulation: str


@dataclass(frozen=True, slots=True)
class StepRule:
    name: str
    label: str
    stage: str | None = None
    requires_any: tuple[str, ...] = ()
    refused_after: tuple[str, ...] = ()
    once: bool = False
    needs_subject: bool = False
    outcomes: tuple[str, ...] = ()
    needs_transfer: bool = False
    needs_exception: bool = False
    not_before: NotBefore | None = None


@dataclass(frozen=True, slots=True)
class Limit:
    """A time limit: calendar days (weeks are 7 days), calendar months, or before a fixed day
    of the transfer year (keyed by the kind of transfer: month and day)."""

    days: int | None = None
    months: int | None = None
    before: Mapping[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClockRule:
    name: str
    label: str
    starts: tuple[str, ...]
    stops: tuple[str, ...]  # "step" or "step:outcome"
    limit: Limit
    regulation: str
    ends: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    exception_regulation: str | None = None
    warn_days: int = 7
    per_subject: bool = False


@dataclass(frozen=True, slots=True)
class ClockSpec:
    version: int
    stages: Mapping[str, tuple[str, bool]]  # name -> (label, open)
    exception_reasons: Mapping[str, str]
    steps: Mapping[str, StepRule]
    clocks: Mapping[str, ClockRule]


@dataclass(frozen=True, slots=True)
class Clock:
    """One run of a statutory clock in one case, as it stands on ``today``."""

    name: str
    label: str
    regulation: str
    started_on: date
    due: date  # the last day on which the step is in time
    warn_from: date
    status: ClockStatus
    subject: str | None = None
    stopped_on: date | None = None
    ended_on: date | None = None
    exception_reason: str | None = None


# --- loading the spec -------------------------------------------------------------------


def load_spec(text: str) -> ClockSpec:
    """Parse and check a spec; every problem is reported at once."""
    raw = yaml.safe_load(text)
    spec = ClockSpec(
        version=int(raw["version"]),
        stages={k: (v["label"], bool(v["open"])) for k, v in raw["stages"].items()},
        exception_reasons=dict(raw["exception_reasons"]),
        steps={k: _step_rule(k, v) for k, v in raw["steps"].items()},
        clocks={k: _clock_rule(k, v) for k, v in raw["clocks"].items()},
    )
    problems = spec_problems(spec)
    if problems:
        raise ConfigurationError(
            "the EHCP clock spec is inconsistent: " + "; ".join(problems),
            fix=f"correct {SPEC_FILE} so every name it uses is defined",
        )
    return spec


@cache
def default_spec() -> ClockSpec:
    """The packaged spec (``wholechild/ehcp/clock_spec.yaml``)."""
    return load_spec(files("wholechild.ehcp").joinpath(SPEC_FILE).read_text(encoding="utf-8"))


def _step_rule(name: str, raw: Mapping[str, Any]) -> StepRule:
    nb = raw.get("not_before")
    return StepRule(
        name=name,
        label=raw["label"],
        stage=raw.get("stage"),
        requires_any=tuple(raw.get("requires_any", ())),
        refused_after=tuple(raw.get("refused_after", ())),
        once=bool(raw.get("once", False)),
        needs_subject=bool(raw.get("needs_subject", False)),
        outcomes=tuple(raw.get("outcomes", ())),
        needs_transfer=bool(raw.get("needs_transfer", False)),
        needs_exception=bool(raw.get("needs_exception", False)),
        not_before=NotBefore(nb["step"], int(nb["days"]), nb.get("unless"), nb["regulation"])
        if nb
        else None,
    )


def _limit(raw: Mapping[str, Any]) -> Limit:
    before = {
        kind: (int(md.split("-")[0]), int(md.split("-")[1]))
        for kind, md in raw.get("before", {}).items()
    }
    days = raw.get("days")
    if "weeks" in raw:
        days = 7 * int(raw["weeks"])
    return Limit(days=days, months=raw.get("months"), before=before)


def _clock_rule(name: str, raw: Mapping[str, Any]) -> ClockRule:
    return ClockRule(
        name=name,
        label=raw["label"],
        starts=tuple(raw["starts"]),
        stops=tuple(raw["stops"]),
        limit=_limit(raw["limit"]),
        regulation=raw["regulation"],
        ends=tuple(raw.get("ends", ())),
        exceptions=tuple(raw.get("exceptions", ())),
        exception_regulation=raw.get("exception_regulation"),
        warn_days=int(raw.get("warn_days", 7)),
        per_subject=bool(raw.get("per_subject", False)),
    )


def spec_problems(spec: ClockSpec) -> list[str]:
    """Names the spec uses but does not define (steps, stages, reasons)."""
    problems: list[str] = []
    for rule in spec.steps.values():
        if rule.stage is not None and rule.stage not in spec.stages:
            problems.append(f"step {rule.name}: unknown stage {rule.stage}")
        for name in (*rule.requires_any, *rule.refused_after):
            if name not in spec.steps:
                problems.append(f"step {rule.name}: unknown step {name}")
    for clock in spec.clocks.values():
        for name in (*clock.starts, *(s.split(":")[0] for s in clock.stops), *clock.ends):
            if name not in spec.steps:
                problems.append(f"clock {clock.name}: unknown step {name}")
        problems.extend(
            f"clock {clock.name}: unknown exception reason {reason}"
            for reason in clock.exceptions
            if reason not in spec.exception_reasons
        )
    return problems


# --- due dates ---------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (the month's last day if it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(limit: Limit, start: Step) -> date:
    """The last day on which the stopping step is in time."""
    if limit.days is not None:
        return start.on + timedelta(days=limit.days)
    if limit.months is not None:
        return add_months(start.on, limit.months)
    kind = start.transfer_kind or TRANSFER_KINDS[0]
    month, day = limit.before[kind]
    year = start.transfer_year or start.on.year
    return date(year, month, day) - timedelta(days=1)


# --- evaluating the clocks -----------------------------------------------------------------


@dataclass(slots=True)
class _Run:
    start: Step
    stopped_on: date | None = None
    ended_on: date | None = None
    exception_reason: str | None = None

    @property
    def open(self) -> bool:
        return self.stopped_on is None and self.ended_on is None


def _stops(rule: ClockRule, step: Step) -> bool:
    return step.step in rule.stops or f"{step.step}:{step.outcome}" in rule.stops


def _same_subject(rule: ClockRule, run: _Run, step: Step) -> bool:
    return not rule.per_subject or run.start.subject == step.subject


def _apply(rule: ClockRule, runs: list[_Run], step: Step) -> None:
    """One step's effect on one clock: stop or end the open runs it closes, start a new one."""
    if step.step == EXCEPTION_STEP and step.clock == rule.name:
        started = [r for r in runs if r.start.on <= step.on and _same_subject(rule, r, step)]
        if started:
            started[-1].exception_reason = step.reason
        return
    for run in runs:
        if run.open and _same_subject(rule, run, step):
            if _stops(rule, step):
                run.stopped_on = step.on
            elif step.step in rule.ends:
                run.ended_on = step.on
    if step.step in rule.starts:
        runs.append(_Run(step))


def _status(run: _Run, due: date, warn_from: date, today: date) -> ClockStatus:
    if run.ended_on is not None:
        return ClockStatus.ENDED
    if run.stopped_on is not None and run.stopped_on <= due:
        return ClockStatus.MET
    missed = run.stopped_on is not None or today > due
    if missed:
        if run.exception_reason is not None:
            return ClockStatus.EXCEPTION
        return ClockStatus.LATE if run.stopped_on is not None else ClockStatus.OVERDUE
    return ClockStatus.DUE_SOON if today >= warn_from else ClockStatus.RUNNING


def _clock(rule: ClockRule, run: _Run, today: date) -> Clock:
    due = due_date(rule.limit, run.start)
    warn_from = due - timedelta(days=rule.warn_days)
    return Clock(
        name=rule.name,
        label=rule.label,
        regulation=rule.regulation,
        started_on=run.start.on,
        due=due,
        warn_from=warn_from,
        status=_status(run, due, warn_from, today),
        subject=run.start.subject if rule.per_subject else None,
        stopped_on=run.stopped_on,
        ended_on=run.ended_on,
        exception_reason=run.exception_reason,
    )


def evaluate(spec: ClockSpec, history: Sequence[Step], today: date) -> list[Clock]:
    """Every run of every clock in a case's history, as it stands on ``today``, by due date."""
    clocks: list[Clock] = []
    for rule in spec.clocks.values():
        runs: list[_Run] = []
        for step in history:
            _apply(rule, runs, step)
        clocks.extend(_clock(rule, run, today) for run in runs)
    return sorted(clocks, key=lambda c: (c.due, c.name, c.subject or ""))


def stage_of(spec: ClockSpec, history: Sequence[Step]) -> str | None:
    """The stage of the latest step that moves the case to a stage (None before any)."""
    stage: str | None = None
    for step in history:
        rule = spec.steps.get(step.step)
        if rule is not None and rule.stage is not None:
            stage = rule.stage
    return stage


# --- checking a new step -------------------------------------------------------------------


def check_step(spec: ClockSpec, history: Sequence[Step], candidate: Step, today: date) -> list[str]:
    """Why ``candidate`` cannot be recorded next (empty when it can), in the caseworker's words."""
    rule = spec.steps.get(candidate.step)
    if rule is None:
        return [f"'{candidate.step}' is not a step of the EHCP process (known: {_names(spec)})"]
    problems = _order_problems(rule, history, candidate, today)
    problems.extend(_detail_problems(spec, rule, history, candidate))
    if rule.needs_exception:
        problems.extend(_exception_problems(spec, history, candidate))
    if rule.not_before is not None:
        problems.extend(_not_before_problems(rule.not_before, history, candidate))
    return problems


def _names(spec: ClockSpec) -> str:
    return ", ".join(spec.steps)


def _order_problems(
    rule: StepRule, history: Sequence[Step], candidate: Step, today: date
) -> list[str]:
    done = {s.step for s in history}
    problems: list[str] = []
    if candidate.on > today:
        problems.append(f"{rule.label}: the date {candidate.on} is in the future")
    if rule.needs_exception:
        if history and candidate.on < history[0].on:
            problems.append(f"{rule.label}: the date {candidate.on} is before the request")
    elif history and candidate.on < history[-1].on:
        problems.append(
            f"{rule.label}: the date {candidate.on} is before the last recorded step "
            f"({history[-1].on}); record steps in the order they happened"
        )
    if rule.requires_any and not done.intersection(rule.requires_any):
        problems.append(f"{rule.label}: first record one of: {', '.join(rule.requires_any)}")
    blocked = done.intersection(rule.refused_after)
    if blocked:
        problems.append(f"{rule.label}: not possible after {', '.join(sorted(blocked))}")
    if rule.once and rule.name in done:
        problems.append(f"{rule.label}: already recorded for this case (it happens once)")
    return problems


def _detail_problems(
    spec: ClockSpec, rule: StepRule, history: Sequence[Step], candidate: Step
) -> list[str]:
    problems: list[str] = []
    if rule.needs_subject and not (candidate.subject or "").strip():
        problems.append(f"{rule.label}: say who the advice is from (the subject)")
    elif rule.needs_subject and any(spec.steps[r].needs_subject for r in rule.requires_any):
        asked = {s.subject for s in history if s.step in rule.requires_any}
        if candidate.subject not in asked:
            problems.append(f"{rule.label}: no {rule.requires_any[0]} from '{candidate.subject}'")
    if rule.outcomes and candidate.outcome not in rule.outcomes:
        problems.append(f"{rule.label}: the outcome must be one of {', '.join(rule.outcomes)}")
    if rule.needs_transfer:
        if candidate.transfer_kind not in TRANSFER_KINDS:
            problems.append(f"{rule.label}: the transfer kind must be 'phase' or 'post16'")
        if candidate.transfer_year is None or candidate.transfer_year < candidate.on.year:
            problems.append(f"{rule.label}: give the calendar year of the transfer (not past)")
    return problems


def _exception_problems(spec: ClockSpec, history: Sequence[Step], candidate: Step) -> list[str]:
    clock = spec.clocks.get(candidate.clock or "")
    if clock is None:
        return [f"an exception names a clock: one of {', '.join(spec.clocks)}"]
    problems: list[str] = []
    if not clock.exceptions:
        problems.append(f"the law allows no exceptions to '{clock.label}'")
    elif candidate.reason not in clock.exceptions:
        problems.append(
            f"'{candidate.reason}' is not an exception {clock.exception_regulation} allows "
            f"for '{clock.label}' (allowed: {', '.join(clock.exceptions)})"
        )
    if not (candidate.evidence or "").strip():
        problems.append("an exception must be recorded with its evidence")
    probe = [s for s in history if s.on <= candidate.on]
    started = [c for c in evaluate(spec, probe, candidate.on) if c.name == clock.name]
    if clock.per_subject:
        started = [c for c in started if c.subject == candidate.subject]
    if not started:
        who = f" for '{candidate.subject}'" if clock.per_subject else ""
        problems.append(f"'{clock.label}'{who} has not started in this case by {candidate.on}")
    return problems


def _not_before_problems(rule: NotBefore, history: Sequence[Step], candidate: Step) -> list[str]:
    if rule.unless is not None and any(s.step == rule.unless for s in history):
        return []
    anchors = [s.on for s in history if s.step == rule.step]
    if not anchors:
        return []
    earliest = anchors[-1] + timedelta(days=rule.days)
    if candidate.on >= earliest:
        return []
    return [
        f"the family has at least {rule.days} days from {anchors[-1]} to respond to the draft "
        f"({rule.regulation}): the final plan can be issued from {earliest}, or sooner once "
        f"their response ({rule.unless}) is recorded"
    ]


# --- the rules as tables (docs/ehcp-clocks.md embeds this text; a test keeps them equal) -------


def _limit_words(limit: Limit) -> str:
    if limit.before:
        return "before " + ", ".join(
            f"{d} {calendar.month_name[m]} ({kind})" for kind, (m, d) in limit.before.items()
        )
    if limit.months is not None:
        return f"{limit.months} calendar months"
    days = limit.days or 0
    return f"{days // 7} weeks ({days} days)" if days % 7 == 0 else f"{days} days"


def rules_markdown(spec: ClockSpec) -> str:
    """The spec's clocks, steps and exception reasons as Markdown tables."""
    lines = ["| clock | starts at | stops at | no longer applies after | time limit | law | "
             "exceptions | warning |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for c in spec.clocks.values():
        exceptions = (
            f"{c.exception_regulation}: {', '.join(c.exceptions)}" if c.exceptions else "none"
        )
        lines.append(
            f"| {c.label} | {', '.join(c.starts)} | {', '.join(c.stops)} | "
            f"{', '.join(c.ends) or '-'} | {_limit_words(c.limit)} | {c.regulation} | "
            f"{exceptions} | {c.warn_days} days before |"
        )
    lines += ["", "| step | meaning | stage after | needs first (one of) | refused after | once |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for s in spec.steps.values():
        stage = spec.stages[s.stage][0] if s.stage else "(unchanged)"
        lines.append(
            f"| {s.name} | {s.label} | {stage} | {', '.join(s.requires_any) or '-'} | "
            f"{', '.join(s.refused_after) or '-'} | {'yes' if s.once else 'no'} |"
        )
    lines += ["", "| exception reason | meaning |", "|---|---|"]
    lines += [f"| {name} | {text} |" for name, text in spec.exception_reasons.items()]
    return "\n".join(lines) + "\n"
