"""People's rights and transparency on the command line: ``wholechild sar``, ``wholechild
rectify``, ``wholechild rectify-notified`` and ``wholechild transparency``.

The command line is run by the store's operator acting as the information-governance officer:
``sar`` passes the access policy as an information-governance officer for a subject access
request, and every command is audited under the name given with ``--actor``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine

from wholechild.errors import UserError
from wholechild.governance.transparency import Organisation
from wholechild.settings import Settings, load_settings

if TYPE_CHECKING:
    from wholechild.actions.transparency import Sources

gov_people_app = typer.Typer()
console = Console()

RIGHTS_PURPOSE = "subject_access_request"
TRANSPARENCY_PURPOSE = "audit_oversight"
ActorOption = Annotated[str, typer.Option(help="Your name (recorded in the audit trail).")]


def _engine(settings: Settings) -> Engine:
    from wholechild.cli import _open_store  # the CLI's one way to open the store

    engine: Engine = _open_store(settings)
    return engine


@gov_people_app.command("sar")
def sar(
    person_id: Annotated[int, typer.Argument(help="The person (child) the request is about.")],
    out: Annotated[Path, typer.Option(help="Folder for the ZIP.")],
    actor: ActorOption = "cli",
) -> None:
    """Subject access: everything held about a person, as PDF and JSON in one ZIP."""
    from wholechild.actions.sar import subject_access_export
    from wholechild.core.access import Category, Principal, Purpose, Role

    officer = Principal(actor, Role.IG_OFFICER, Category.OTHER)
    path = subject_access_export(
        _engine(load_settings()), person_id=person_id, out_dir=out, actor=officer,
        purpose=Purpose.SUBJECT_ACCESS_REQUEST,
    )  # fmt: skip
    console.print(f"written: {path}")
    console.print("Before release: check every item in REDACTION-REVIEW.md inside the ZIP.")


@gov_people_app.command("rectify")
def rectify(
    record_id: Annotated[str, typer.Argument(help="The source record to correct.")],
    field: Annotated[str, typer.Option(help="The field, e.g. surname, date_of_birth, upn.")],
    value: Annotated[str, typer.Option(help="The corrected value.")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the correction).")],
    requested_by: Annotated[str, typer.Option(help="Who asked for the correction.")],
    actor: ActorOption = "cli",
) -> None:
    """Correct a value a source record holds (UK GDPR Art. 16); then tell the source agency."""
    from wholechild.actions.rectification import rectify as rectify_action

    rectification_id = rectify_action(
        _engine(load_settings()), source_record_id=record_id, field=field, new_value=value,
        reason=reason, requested_by=requested_by, actor=actor, purpose=RIGHTS_PURPOSE,
    )  # fmt: skip
    console.print(
        f"rectification {rectification_id} recorded. Tell the source agency, then run: "
        f"wholechild rectify-notified {rectification_id} --reference REF"
    )


@gov_people_app.command("rectify-notified")
def rectify_notified(
    rectification_id: Annotated[int, typer.Argument(help="The rectification's number.")],
    reference: Annotated[str, typer.Option(help="The letter, email or ticket reference.")],
    at: Annotated[
        str | None, typer.Option(help="When it was sent (YYYY-MM-DD[THH:MM]); default now.")
    ] = None,
    actor: ActorOption = "cli",
) -> None:
    """Record that the source agency was told of a correction."""
    from wholechild.actions.rectification import record_source_notified

    record_source_notified(
        _engine(load_settings()), rectification_id=rectification_id, notified_at=_when(at),
        reference=reference, actor=actor, purpose=RIGHTS_PURPOSE,
    )  # fmt: skip
    console.print(f"rectification {rectification_id}: the source agency's notification recorded")


def _when(at: str | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(at)
    except ValueError:
        raise UserError(
            f"not a date: {at!r}", fix="give it as YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@gov_people_app.command("transparency")
def transparency(
    out: Annotated[Path, typer.Option(help="Folder for the Markdown and JSON files.")],
    quality: Annotated[
        Path | None,
        typer.Option(help="Linkage quality JSON (default: the latest `link evaluate` report)."),
    ] = None,
    drafting_quality: Annotated[
        Path | None, typer.Option(help="Drafting quality JSON (default: measure it now).")
    ] = None,
    drafting_cases: Annotated[
        int, typer.Option(help="Synthetic advice cases to measure drafting on (0: do not).")
    ] = 12,
    organisation: Annotated[
        str | None, typer.Option(envvar="WHOLECHILD_ORGANISATION_NAME", help="Council name.")
    ] = None,
    website: Annotated[str | None, typer.Option(envvar="WHOLECHILD_ORGANISATION_WEBSITE")] = None,
    contact: Annotated[str | None, typer.Option(envvar="WHOLECHILD_TRANSPARENCY_CONTACT")] = None,
    actor: ActorOption = "cli",
) -> None:
    """ATRS records, a DPIA skeleton and model cards from the live configuration."""
    from wholechild.actions.transparency import write_transparency

    settings = load_settings()
    sources = _sources(settings, Organisation(organisation, website, contact), quality,
                       drafting_quality, drafting_cases)  # fmt: skip
    paths = write_transparency(
        _engine(settings), out_dir=out, sources=sources, actor=actor,
        purpose=TRANSPARENCY_PURPOSE,
    )  # fmt: skip
    console.print(f"{len(paths)} files written to {out}")
    if sources.linkage_quality is None:
        console.print("linkage quality not measured: run `wholechild link evaluate` first")


def _sources(
    settings: Settings, organisation: Organisation, quality: Path | None,
    drafting_quality: Path | None, drafting_cases: int,
) -> Sources:  # fmt: skip
    """Where the artefacts' measurements come from: files given, the latest `link evaluate`
    report, and the drafting assistant measured now unless a file is given."""
    from wholechild.actions import transparency as artefacts
    from wholechild.linkage.chart import JSON_FILE

    default_quality = settings.linkage_report_dir / JSON_FILE
    drafting = artefacts.read_measured(drafting_quality) if drafting_quality else None
    if drafting is None and drafting_cases > 0:
        drafting = artefacts.measure_drafting(cases=drafting_cases)
    return artefacts.Sources(
        organisation=organisation,
        linkage_quality=quality or (default_quality if default_quality.is_file() else None),
        drafting_quality=drafting, retention_rules=settings.retention_rules,
        rephrasing_model=settings.llm_model, disclosure_threshold=settings.disclosure_threshold,
    )  # fmt: skip
