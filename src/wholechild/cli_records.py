"""``wholechild records``: sealing source records (audited; see wholechild.actions.sealing)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine

from wholechild.errors import UserError
from wholechild.settings import load_settings

records_app = typer.Typer(help="Source records: seal or unseal them.", no_args_is_help=True)
console = Console()

PURPOSE = "audit_oversight"


def _engine() -> Engine:
    from wholechild.cli import _open_store  # the CLI's one way to open the store

    engine: Engine = _open_store(load_settings())
    return engine


@records_app.command("seal")
def seal(
    record_ids: Annotated[
        list[str] | None, typer.Argument(help="Source record ids to seal.", show_default=False)
    ] = None,
    adopted: Annotated[
        bool, typer.Option("--adopted", help="Seal the social-care records of adopted children.")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit trail).")] = "",
    actor: Annotated[str, typer.Option(help="Your name (recorded in the audit trail).")] = "cli",
) -> None:
    """Seal records: only social workers in the adoption team will see them."""
    from wholechild.actions.sealing import seal_adoption_records, seal_records

    if adopted == bool(record_ids):
        raise UserError("name record ids or give --adopted (one of the two)", fix="see --help")
    engine = _engine()
    if adopted:
        outcome = seal_adoption_records(engine, actor=actor, purpose=PURPOSE)
    else:
        outcome = seal_records(
            engine, record_ids=record_ids or [], actor=actor, purpose=PURPOSE, reason=reason
        )
    console.print(f"sealed {len(outcome.records)} records of {len(outcome.persons)} persons")


@records_app.command("unseal")
def unseal(
    record_ids: Annotated[list[str], typer.Argument(help="Source record ids to unseal.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit trail).")],
    actor: Annotated[str, typer.Option(help="Your name (recorded in the audit trail).")] = "cli",
) -> None:
    """Unseal records."""
    from wholechild.actions.sealing import unseal_records

    outcome = unseal_records(
        _engine(), record_ids=record_ids, actor=actor, purpose=PURPOSE, reason=reason
    )
    console.print(f"unsealed {len(outcome.records)} records of {len(outcome.persons)} persons")
