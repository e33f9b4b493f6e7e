"""``wholechild audit``: verify the tamper-evident audit trail, sign checkpoints, export the key,
erase an audit note's text.

Exit codes: 0 the trail is intact; 1 problems were found (each printed with its entry id, kind,
explanation and how to investigate); otherwise the codes of ``wholechild.cli``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from wholechild.settings import Settings, load_settings

audit_app = typer.Typer(
    help=(
        "The audit trail: verify its hash chain, sign checkpoints, export the public key, "
        "erase a note's text."
    ),
    no_args_is_help=True,
)


@audit_app.command("verify")
def audit_verify(
    public_key: Annotated[
        Path | None,
        typer.Option(help="The public key (PEM) to check checkpoint signatures with."),
    ] = None,
) -> None:
    """Check every entry and checkpoint; print each problem with its entry id (exit 1)."""
    from wholechild import cli
    from wholechild.audit import verify_chain

    settings = load_settings()
    key = _verifying_key(settings, public_key)
    report = verify_chain(cli._open_store(settings), public_key=key)
    for problem in report.problems:
        where = f"entry {problem.entry_id}" if problem.entry_id is not None else "trail"
        cli.console.print(
            f"{where}: {problem.kind.upper()}: {problem.explanation}.\n"
            f"  How to investigate: {problem.investigate}.",
            markup=False,
            highlight=False,
        )
    for note in report.erased_notes:
        cli.console.print(
            f"entry {note.entry_id}: its {note.kind} note was erased (entry {note.by_entry} "
            "records the erasure; its hash is still in the chain): not a problem.",
            markup=False,
            highlight=False,
        )
    cli.console.print(_summary(report), markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(cli.EXIT_PROBLEMS)


def _summary(report: Any) -> str:
    state = "intact" if report.ok else f"NOT intact: {len(report.problems)} problems"
    signatures = "signatures checked" if report.signatures_checked else "signatures NOT checked"
    line = (
        f"audit trail {state}: {report.entries:,} entries, "
        f"{report.checkpoints:,} signed checkpoints ({signatures}), "
        f"{report.notes:,} notes ({len(report.erased_notes):,} erased)"
    )
    if report.last_checkpointed_entry is None:
        return line + "; no checkpoint yet: run `wholechild audit checkpoint`"
    return line + (
        f"; entries after {report.last_checkpointed_entry} are protected by the chain only"
    )


def _verifying_key(settings: Settings, path: Path | None) -> Any:
    """The public key given, else the signing key's (if one is set or was created here)."""
    from wholechild.audit.keys import (
        DEV_KEY_NAME,
        DEV_KEYS_DIR,
        load_or_create_signing_key,
        load_public_key,
    )

    if path is not None:
        return load_public_key(path)
    if settings.audit_signing_key is not None or (DEV_KEYS_DIR / DEV_KEY_NAME).exists():
        return load_or_create_signing_key(settings).public_key()
    return None


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign a checkpoint now: "entries 1..N hash to H", with the audit signing key."""
    from wholechild import cli
    from wholechild.audit import create_checkpoint, load_or_create_signing_key

    settings = load_settings()
    key = load_or_create_signing_key(settings)
    checkpoint = create_checkpoint(cli._open_store(settings), key=key)
    cli.console.print(
        f"checkpoint {checkpoint.id}: entries 1..{checkpoint.last_event_id} hash to "
        f"{checkpoint.chain_hash}, signed with key {checkpoint.key_id[:16]}",
        markup=False,
        highlight=False,
    )


@audit_app.command("export-key")
def audit_export_key(
    out: Annotated[Path, typer.Option(help="Where to write the public key (PEM).")],
) -> None:
    """Write the public key that verifies checkpoints (a verifier needs nothing else)."""
    from wholechild import cli
    from wholechild.audit.keys import load_or_create_signing_key, write_public_key

    kid = write_public_key(load_or_create_signing_key(load_settings()), out)
    cli.console.print(f"public key {kid[:16]} written to {out}", markup=False, highlight=False)


@audit_app.command("erase-note")
def audit_erase_note(
    entry_id: Annotated[int, typer.Argument(help="The audit entry the note belongs to.")],
    kind: Annotated[str, typer.Argument(help="The note's kind: justification or reason.")],
    reason: Annotated[
        str | None,
        typer.Option(help="Why (kept as a note, erasable in turn); e.g. the request reference."),
    ] = None,
    actor: Annotated[str, typer.Option(help="Your name (recorded in the audit trail).")] = "cli",
) -> None:
    """Erase a note's text (rectification, retention); its hash stays and the chain verifies."""
    from wholechild import cli
    from wholechild.actions.audit import erase_note

    erase_note(
        cli._open_store(load_settings()),
        audit_event_id=entry_id,
        kind=kind,
        actor=actor,
        purpose="records_management",
        reason=reason,
    )
    cli.console.print(
        f"the {kind} note of audit entry {entry_id} was erased", markup=False, highlight=False
    )
