"""``wholechild ehcp``: EHCP cases and their statutory clocks; ``wholechild sen2``: the return.

Every change goes through the audited actions in ``wholechild.actions.ehcp_cases``; a step the
statutory process does not allow yet is refused with its reasons (exit 2).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from wholechild.settings import load_settings

ehcp_app = typer.Typer(
    help="EHCP cases: record steps, see statutory clocks, caseloads, 20-week timeliness.",
    no_args_is_help=True,
)
sen2_app = typer.Typer(help="The SEN2 return, produced from the EHCP cases.", no_args_is_help=True)

PURPOSE = "ehc_needs_assessment"
CaseId = Annotated[int, typer.Argument(help="The EHCP case.")]
Actor = Annotated[str, typer.Option(help="Who is acting (recorded in the audit).")]
OnDate = Annotated[
    str | None, typer.Option("--on", help="The day (YYYY-MM-DD); unset: today in England.")
]


def _day(value: str | None) -> date:
    from wholechild.errors import UserError

    if value is None:
        return datetime.now(ZoneInfo("Europe/London")).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"'{value}' is not a date", fix="write dates as YYYY-MM-DD") from None


def _store() -> Any:
    from wholechild import cli

    return cli._open_store(load_settings())


def _print(renderable: Any) -> None:
    from wholechild import cli

    cli.console.print(renderable)


@ehcp_app.command("open")
def ehcp_open(
    person: Annotated[int, typer.Option(help="The person the request is about.")],
    received: Annotated[str, typer.Option(help="The day the request was received.")],
    caseworker: Annotated[str, typer.Option(help="The caseworker allocated (username).")],
    team: Annotated[str, typer.Option(help="The caseworker's team.")],
    actor: Actor,
    need: Annotated[list[str] | None, typer.Option(help="SEN need type, in rank order.")] = None,
    urn: Annotated[str | None, typer.Option(help="The setting's URN.")] = None,
) -> None:
    """Open an EHCP case from the day the request for an assessment was received."""
    from wholechild.actions.ehcp_cases import open_case

    case_id = open_case(
        _store(), person_id=person, caseworker=caseworker, team=team,
        request_received_on=_day(received), actor=actor, purpose=PURPOSE,
        sen_needs=tuple(need or ()), setting_urn=urn,
    )  # fmt: skip
    _print(f"EHCP case {case_id} opened")


@ehcp_app.command("step")
def ehcp_step(
    case_id: CaseId,
    step: Annotated[str, typer.Argument(help="The step (see docs/ehcp-clocks.md).")],
    actor: Actor,
    on: OnDate = None,
    subject: Annotated[str | None, typer.Option(help="The adviser, for advice.")] = None,
    outcome: Annotated[str | None, typer.Option(help="maintain|amend|cease.")] = None,
    transfer_year: Annotated[int | None, typer.Option(help="Year of a phase transfer.")] = None,
    transfer_kind: Annotated[str | None, typer.Option(help="phase|post16.")] = None,
) -> None:
    """Record a step in a case (refused, with reasons, if the process does not allow it yet)."""
    from wholechild.actions.ehcp_cases import record_step
    from wholechild.ehcp.clocks import Step

    new = Step(step, _day(on), subject=subject, outcome=outcome,
               transfer_year=transfer_year, transfer_kind=transfer_kind)  # fmt: skip
    event_id = record_step(_store(), case_id=case_id, step=new, actor=actor, purpose=PURPOSE)
    _print(f"step {event_id} recorded in case {case_id}")


@ehcp_app.command("exception")
def ehcp_exception(
    case_id: CaseId,
    clock: Annotated[str, typer.Option(help="The clock the exception applies to.")],
    reason: Annotated[str, typer.Option(help="The reason the regulation allows.")],
    evidence: Annotated[str, typer.Option(help="What shows it applies.")],
    actor: Actor,
    on: OnDate = None,
    subject: Annotated[str | None, typer.Option(help="The adviser, for advice.")] = None,
) -> None:
    """Record an exception to a time limit, with its reason and evidence."""
    from wholechild.actions.ehcp_cases import record_exception

    event_id = record_exception(
        _store(), case_id=case_id, clock=clock, reason=reason, evidence=evidence,
        occurred_on=_day(on), actor=actor, purpose=PURPOSE, subject=subject,
    )  # fmt: skip
    _print(f"exception {event_id} recorded in case {case_id}")


@ehcp_app.command("clocks")
def ehcp_clocks(case_id: CaseId, on: OnDate = None) -> None:
    """Every statutory clock in a case: started, due, status, and the law behind it."""
    from wholechild.read.caseload import case_clocks

    today = _day(on)
    table = Table("clock", "started", "due", "status", "stopped", "law",
                  title=f"EHCP case {case_id} on {today}")  # fmt: skip
    for clock in case_clocks(_store(), case_id, today=today):
        label = f"{clock.label} ({clock.subject})" if clock.subject else clock.label
        status = clock.status.value.replace("_", " ")
        if clock.exception_reason:
            status += f" [{clock.exception_reason}]"
        stopped = clock.stopped_on or clock.ended_on
        table.add_row(label, str(clock.started_on), str(clock.due), status,
                      str(stopped or "-"), clock.regulation)  # fmt: skip
    _print(table)


@ehcp_app.command("caseload")
def ehcp_caseload(
    caseworker: Annotated[str | None, typer.Option(help="One caseworker.")] = None,
    team: Annotated[str | None, typer.Option(help="One team.")] = None,
    on: OnDate = None,
) -> None:
    """Open cases by stage, and the clocks due soon and overdue."""
    from wholechild.read.caseload import caseload

    load = caseload(_store(), today=_day(on), caseworker=caseworker, team=team)
    stages = Table("stage", "open cases", title="Caseload")
    for stage, count in sorted(load.by_stage.items()):
        stages.add_row(stage, str(count))
    _print(stages)
    for title, items in (("Overdue", load.overdue), ("Due soon", load.due_soon)):
        table = Table("case", "caseworker", "clock", "due", title=f"{title}: {len(items)}")
        for item in items:
            table.add_row(str(item.case_id), item.caseworker, item.clock.label, str(item.clock.due))
        _print(table)


@ehcp_app.command("performance")
def ehcp_performance(
    year: Annotated[int, typer.Option(help="Calendar year the plans were issued in.")],
    team: Annotated[str | None, typer.Option(help="One team.")] = None,
) -> None:
    """20-week timeliness by month, excluding exception cases, as the DfE computes it."""
    from wholechild.read.caseload import twenty_week_by_month_for, twenty_week_for_year

    engine = _store()
    table = Table("month", "issued", "exceptions", "counted", "within 20 weeks", "%",
                  title=f"New EHC plans issued in {year}")  # fmt: skip
    months = twenty_week_by_month_for(
        engine, start=date(year, 1, 1), end=date(year, 12, 31), team=team
    )
    rows = [(m.month.strftime("%B"), m) for m in months]
    rows.append(("year", twenty_week_for_year(engine, year=year, team=team)))
    for name, row in rows:
        pct = "-" if row.percent is None else f"{row.percent:.1f}"
        table.add_row(name, str(row.issued), str(row.exceptions), str(row.counted),
                      str(row.within_20_weeks), pct)  # fmt: skip
    _print(table)
    _print("Counts are not suppressed here: suppress small numbers before publishing them.")


@ehcp_app.command("load-synthetic")
def ehcp_load_synthetic(
    council: Annotated[Path, typer.Argument(help="The synthetic council folder (sen2.xml).")],
    actor: Actor = "cli",
    seed: Annotated[int, typer.Option(help="Random seed for the histories.")] = 1,
) -> None:
    """Load synthetic case histories for the children of an ingested, linked synthetic SEN2."""
    from wholechild.actions.ehcp_cases import load_case_histories
    from wholechild.errors import InputFileError
    from wholechild.synth.ehcp_cases import reference_of, synthetic_case_histories

    sen2 = council / "sen2.xml"
    if not sen2.is_file():
        raise InputFileError(f"no sen2.xml in {council}", fix="run wholechild synth first")
    report = load_case_histories(
        _store(), synthetic_case_histories(sen2, seed=seed), actor=actor,
        purpose="synthetic data load", today=reference_of(sen2),
    )  # fmt: skip
    _print(f"{report.cases} cases, {report.steps} steps loaded; {report.unmatched} without a "
           f"linked person; {len(report.refused)} refused")  # fmt: skip


@sen2_app.command("export")
def sen2_export(
    year: Annotated[int, typer.Option(help="The return's year (census in January).")],
    out: Annotated[Path, typer.Option(help="The XML file to write.")],
    actor: Actor = "cli",
) -> None:
    """Write the SEN2 return from the case data (validated when the 2024 XSD is found)."""
    from wholechild.formats._xml import schema_file
    from wholechild.formats.sen2_export import SCHEMA, export_sen2

    settings = load_settings()
    extra = {"schemas_dir": settings.schemas_dir} if settings.schemas_dir else {}
    xsd = schema_file(extra, SCHEMA)
    report = export_sen2(_store(), year=year, out=out, la_code=settings.la_code, actor=actor,
                         purpose="statutory_return", xsd=xsd)  # fmt: skip
    _print(f"SEN2 {year} (census {report.reference}): {report.persons} persons, "
           f"{report.requests} requests, {report.plans} plans -> {out}"
           + ("" if xsd.is_file() else f"; not validated: no XSD at {xsd}"))  # fmt: skip
    for line in report.left_out:
        _print(f"left out: {line}")
