"""``wholechild agreements`` and ``wholechild sharing``: data-sharing agreements and decisions
to share or not to share (audited; see wholechild.actions.agreements)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from wholechild.errors import InputFileError, UserError
from wholechild.settings import load_settings

agreements_app = typer.Typer(
    help="Data-sharing agreements: record, load, list, check expiry and review dates.",
    no_args_is_help=True,
)
sharing_app = typer.Typer(
    help="Decisions to share, or not to share, data with another organisation.",
    no_args_is_help=True,
)
console = Console()

PURPOSE = "records_management"
EXIT_WARNINGS = 1


def _engine() -> Engine:
    from wholechild.cli import _open_store  # the CLI's one way to open the store

    engine: Engine = _open_store(load_settings())
    return engine


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{name} '{value}' is not a date", fix="write it as YYYY-MM-DD") from None


def _today(on: str | None) -> date:
    return _day(on, "--on") or datetime.now(UTC).date()


@agreements_app.command("add")
def add(
    ref: Annotated[str, typer.Option(help="The agreement's reference, e.g. DSA-HEALTH-01.")],
    title: Annotated[str, typer.Option(help="Its title.")],
    party: Annotated[list[str], typer.Option(help="An organisation party to it (repeat).")],
    partner: Annotated[
        str, typer.Option(help="The partner agency: education|health|police|early_help|housing.")
    ],
    purpose: Annotated[list[str], typer.Option(help="An access purpose it covers (repeat).")],
    category: Annotated[list[str], typer.Option(help="A data category it covers (repeat).")],
    lawful_basis: Annotated[str, typer.Option(help="UK GDPR Art. 6(1) basis, e.g. 6(1)(e).")],
    start: Annotated[str, typer.Option(help="First day in force (YYYY-MM-DD).")],
    source_system: Annotated[
        list[str] | None, typer.Option(help="A source system whose files arrive under it.")
    ] = None,
    art9: Annotated[
        str | None, typer.Option(help="Art. 9(2) condition for special category data.")
    ] = None,
    schedule1: Annotated[
        str | None, typer.Option(help="DPA 2018 Sch.1 condition, e.g. 'Sch.1 Pt.2 para 18'.")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Last day in force (YYYY-MM-DD).")] = None,
    review: Annotated[str | None, typer.Option(help="Review date (YYYY-MM-DD).")] = None,
    actor: Annotated[str, typer.Option(help="Your name (recorded in the audit trail).")] = "cli",
) -> None:
    """Record a data-sharing agreement (every problem in it is reported at once)."""
    from wholechild.actions.agreements import record_agreement
    from wholechild.governance.agreements import InvalidAgreementError, agreement_from_mapping

    terms: dict[str, Any] = {
        "ref": ref,
        "title": title,
        "parties": party,
        "source_systems": source_system or [],
        "partner_category": partner,
        "purposes": purpose,
        "categories": category,
        "lawful_basis": lawful_basis,
        "special_category_condition": art9,
        "schedule1_condition": schedule1,
        "start_date": start,
        "end_date": end,
        "review_date": review,
    }
    agreement, problems = agreement_from_mapping(terms, f"agreement {ref}")
    if agreement is None:
        raise InvalidAgreementError(problems)
    recorded = record_agreement(_engine(), agreement=agreement, actor=actor, purpose=PURPOSE)
    console.print(f"recorded data-sharing agreement {recorded.ref}: {recorded.lawful_basis}")


@agreements_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="A YAML file: 'agreements:' and a list.")],
    actor: Annotated[str, typer.Option(help="Your name (recorded in the audit trail).")] = "cli",
) -> None:
    """Record the agreements in a YAML file, amending any already recorded (all or nothing)."""
    from wholechild.actions.agreements import load_agreements
    from wholechild.governance.agreements import InvalidAgreementError, agreements_from_document

    document = _read_yaml(file)
    agreements, problems = agreements_from_document(document, file.name)
    if problems:
        raise InvalidAgreementError(problems)
    outcome = load_agreements(_engine(), agreements=agreements, actor=actor, purpose=PURPOSE)
    console.print(
        f"{file.name}: {len(outcome.recorded)} recorded, {len(outcome.amended)} amended, "
        f"{len(outcome.unchanged)} unchanged"
    )


def _read_yaml(file: Path) -> Any:
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(
            f"{file}: cannot be read ({exc.strerror or type(exc).__name__})",
            fix="check the path",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputFileError(
            f"{file.name}: is not valid YAML{where}", fix="check indentation and colons"
        ) from None


@agreements_app.command("list")
def list_command(
    on: Annotated[str | None, typer.Option(help="Status on this date (default today).")] = None,
    within: Annotated[int, typer.Option(help="'Expiring soon' within this many days.")] = 60,
) -> None:
    """Every agreement with its status: in force, expiring soon, expired, not yet started."""
    from wholechild.read.agreements import list_agreements

    day = _today(on)
    listings, _ = list_agreements(_engine(), on=day, within_days=within)
    table = Table(
        "ref", "partner", "source systems", "status", "end", "review", "lawful basis",
        title=f"Data-sharing agreements on {day}",
    )  # fmt: skip
    for item in listings:
        a = item.agreement
        review = f"{a.review_date or '-'}" + (" (overdue)" if item.review_overdue else "")
        basis = "; ".join(x for x in (a.lawful_basis, a.special_category_condition) if x)
        table.add_row(
            a.ref, a.partner_category, ", ".join(a.source_systems) or "-", item.status.value,
            f"{a.end_date or '-'}", review, basis,
        )  # fmt: skip
    console.print(table)


@agreements_app.command("check")
def check(
    on: Annotated[str | None, typer.Option(help="Check as of this date (default today).")] = None,
    within: Annotated[int, typer.Option(help="Warn of agreements ending within N days.")] = 60,
) -> None:
    """Warn of agreements ending within 60 days or past their review date; exit 1 if any."""
    from wholechild.read.agreements import list_agreements

    day = _today(on)
    listings, warnings = list_agreements(_engine(), on=day, within_days=within)
    for warning in warnings:
        console.print(f"warning: {warning.message}", markup=False, highlight=False)
    console.print(f"{len(listings)} agreements checked on {day}: {len(warnings)} warnings")
    if warnings:
        raise typer.Exit(EXIT_WARNINGS)


@agreements_app.command("end")
def end(
    ref: Annotated[str, typer.Argument(help="The agreement's reference.")],
    on: Annotated[str, typer.Option(help="Its last day in force (YYYY-MM-DD).")],
    reason: Annotated[str, typer.Option(help="Why it ends (recorded in the audit trail).")],
    actor: Annotated[str, typer.Option(help="Your name (recorded in the audit trail).")] = "cli",
) -> None:
    """End an agreement: partner files are refused after its last day."""
    from wholechild.actions.agreements import end_agreement

    last = _day(on, "--on")
    assert last is not None
    ended = end_agreement(
        _engine(), ref=ref, end_date=last, actor=actor, purpose=PURPOSE, reason=reason
    )
    console.print(f"{ended.ref} ends on {ended.end_date}")


@sharing_app.command("decide")
def decide(
    requested_by: Annotated[str, typer.Option(help="The organisation that asked.")],
    purpose: Annotated[str, typer.Option(help="The access purpose of the request.")],
    category: Annotated[list[str], typer.Option(help="A data category asked for (repeat).")],
    share: Annotated[bool, typer.Option("--share/--not-share", help="The decision.")],
    reason: Annotated[str, typer.Option(help="Why (required for both decisions).")],
    person: Annotated[
        int | None, typer.Option(help="The person the request was about, if one.")
    ] = None,
    actor: Annotated[str, typer.Option(help="Your name (recorded with the decision).")] = "cli",
) -> None:
    """Record a decision to share (--share) or not to share (--not-share), with its reason."""
    from wholechild.actions.agreements import record_sharing_decision

    decision_id = record_sharing_decision(
        _engine(),
        requested_by=requested_by,
        request_purpose=purpose,
        purpose=PURPOSE,
        categories=category,
        decision="share" if share else "not_share",
        reason=reason,
        actor=actor,
        person_id=person,
    )
    console.print(f"decision {decision_id} recorded: {'share' if share else 'not share'}")


@sharing_app.command("list")
def sharing_list(
    person: Annotated[int | None, typer.Option(help="Only decisions about this person.")] = None,
    not_shared: Annotated[
        bool, typer.Option("--not-shared", help="Only decisions not to share.")
    ] = False,
) -> None:
    """Recorded sharing decisions, newest first (reasons are shown: treat the output as
    sensitive)."""
    from wholechild.read.agreements import sharing_decisions

    entries = sharing_decisions(
        _engine(), person_id=person, decision="not_share" if not_shared else None
    )
    table = Table("id", "decided", "requested by", "purpose", "categories", "decision", "reason")
    for e in entries:
        table.add_row(
            str(e.id), f"{e.decided_at:%Y-%m-%d}", e.requested_by, e.purpose,
            ", ".join(e.categories), e.decision.replace("_", " "), e.reason,
        )  # fmt: skip
    console.print(table)
