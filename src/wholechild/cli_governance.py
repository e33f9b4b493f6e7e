"""``wholechild retention``, ``wholechild hold`` and ``wholechild extract``: retention rules,
legal holds and the pseudonymised analytical extract (each an audited action)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from wholechild.errors import UserError
from wholechild.settings import Settings, load_settings

retention_app = typer.Typer(help="Retention rules: what is due, and applying them.")
hold_app = typer.Typer(help="Legal holds: records retention must not touch.")
console = Console()

PURPOSE: Final = "administration"
AS_OF_HELP: Final = "The day to judge retention on (YYYY-MM-DD); default today."
ACTOR_HELP: Final = "Your name (recorded in the audit trail)."


def _engine(settings: Settings) -> Engine:
    from wholechild.cli import _open_store  # the CLI's one way to open the store

    engine: Engine = _open_store(settings)
    return engine


def _as_of(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--as-of {value!r} is not a date", fix="write it as YYYY-MM-DD") from None


def _print_report(report: Any) -> None:
    title = f"Retention {report.mode} (run {report.run_id}) as of {report.as_of}"
    table = Table(title=title)
    table.add_column("rule", no_wrap=True)
    for column in ("action", "confirmed", "due", "held", "not due", "undetermined"):
        table.add_column(column, justify="left" if column in ("action", "confirmed") else "right")
    for r in report.rules:
        table.add_row(
            r.rule_id, r.action.value, "yes" if r.confirmed else "no", f"{len(r.due):,}",
            f"{len(r.held):,}", f"{r.not_due:,}", f"{r.undetermined:,}",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"{report.records:,} records considered; {report.due:,} due, {report.held:,} held, "
        f"{report.no_rule:,} covered by no rule, {report.already_pseudonymised:,} already "
        f"pseudonymised; rules {report.rules_hash[:12]}"
    )
    unconfirmed = [r.rule_id for r in report.rules if not r.confirmed]
    if unconfirmed:
        console.print(
            f"{len(unconfirmed)} rules are not confirmed ({', '.join(unconfirmed)}): the records "
            "manager must confirm their periods before they are applied"
        )
    if report.mode == "apply":
        console.print(f"deleted {report.deleted:,}; pseudonymised {report.pseudonymised:,}")


@retention_app.command("report")
def retention_report_command(
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    actor: Annotated[str, typer.Option(help=ACTOR_HELP)] = "cli",
) -> None:
    """What is due under the retention rules, by rule (a dry run: nothing changes)."""
    from wholechild.actions.retention import load_rule_set, retention_report

    settings = load_settings()
    report = retention_report(
        _engine(settings),
        as_of=_as_of(as_of),
        actor=actor,
        purpose=PURPOSE,
        rules=load_rule_set(settings),
    )
    _print_report(report)


@retention_app.command("apply")
def retention_apply_command(
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: delete and pseudonymise.")] = False,
    actor: Annotated[str, typer.Option(help=ACTOR_HELP)] = "cli",
) -> None:
    """Delete or pseudonymise what is due, never touching records under a legal hold."""
    from wholechild.actions.pseudonym_key import load_or_create_pseudonymiser
    from wholechild.actions.retention import load_rule_set, retention_apply

    settings = load_settings()
    report = retention_apply(
        _engine(settings),
        as_of=_as_of(as_of),
        actor=actor,
        purpose=PURPOSE,
        confirm=yes,
        rules=load_rule_set(settings),
        pseudonymiser=load_or_create_pseudonymiser(settings),
    )
    _print_report(report)


@hold_app.command("place")
def hold_place(
    reason: Annotated[str, typer.Option(help="Why (e.g. the claim or inquiry reference).")],
    person: Annotated[int | None, typer.Option(help="Hold all of this person's records.")] = None,
    record: Annotated[str | None, typer.Option(help="Hold this one source record.")] = None,
    actor: Annotated[str, typer.Option(help=ACTOR_HELP)] = "cli",
) -> None:
    """Place a legal hold on a person or a source record."""
    from wholechild.actions.legal_holds import place_hold

    hold_id = place_hold(
        _engine(load_settings()),
        actor=actor,
        purpose=PURPOSE,
        reason=reason,
        person_id=person,
        source_record_id=record,
    )
    console.print(f"legal hold {hold_id} placed")


@hold_app.command("release")
def hold_release(
    hold_id: Annotated[int, typer.Argument(help="The hold's id (see `wholechild hold list`).")],
    reason: Annotated[str, typer.Option(help="Why the hold can end.")],
    actor: Annotated[str, typer.Option(help=ACTOR_HELP)] = "cli",
) -> None:
    """Release a legal hold: retention may reach its records again."""
    from wholechild.actions.legal_holds import release_hold

    release_hold(
        _engine(load_settings()), hold_id=hold_id, actor=actor, purpose=PURPOSE, reason=reason
    )
    console.print(f"legal hold {hold_id} released")


@hold_app.command("list")
def hold_list(
    include_released: Annotated[bool, typer.Option("--all", help="Released holds too.")] = False,
) -> None:
    """Legal holds in force (with --all, released ones too)."""
    from wholechild.actions.legal_holds import list_holds

    holds = list_holds(_engine(load_settings()), include_released=include_released)
    table = Table("hold", "person", "record", "placed", "released", title=f"{len(holds)} holds")
    for h in holds:
        released = f"{h.released_at:%Y-%m-%d} by {h.released_by}" if h.released_at else "in force"
        table.add_row(
            str(h.id), str(h.person_id or "-"), h.source_record_id or "-",
            f"{h.placed_at:%Y-%m-%d} by {h.placed_by}", released,
        )  # fmt: skip
    console.print(table)


def extract_command(
    purpose: Annotated[str, typer.Option(help="statutory_return or service_planning.")],
    out: Annotated[Path, typer.Option(help="A new folder for the extract.")],
    actor: Annotated[str, typer.Option(help=ACTOR_HELP)] = "cli",
) -> None:
    """Write the pseudonymised analytical extract for a purpose (CSV, README, manifest)."""
    from wholechild.actions.extract import write_extract
    from wholechild.actions.pseudonym_key import load_or_create_pseudonymiser

    settings = load_settings()
    manifest = write_extract(
        _engine(settings),
        purpose=purpose,
        out_dir=out,
        actor=actor,
        pseudonymiser=load_or_create_pseudonymiser(settings),
        threshold=settings.disclosure_threshold,
    )
    rows = ", ".join(f"{name} {n:,}" for name, n in manifest.rows.items())
    console.print(f"extract for {purpose} written to {out}: {rows}; key {manifest.key_id}")
