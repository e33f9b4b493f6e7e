"""The web app's commands: ``wholechild serve`` and ``wholechild users ...``.

Registered in ``wholechild.cli``; user errors become exit codes there (``_user_errors``).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Final

import typer
from rich.console import Console
from rich.table import Table

from wholechild.core.access import ROLE_LABELS, Category, Role
from wholechild.errors import ConfigurationError
from wholechild.settings import Settings, load_settings

# Published on purpose: the synthetic council's demo accounts only (refused in production).
DEMO_PASSWORD: Final = "wholechild-demo-2026"  # noqa: S105
ADMIN_ACTOR: Final = "cli"

users_app = typer.Typer(help="Accounts: create, list, unlock; demo accounts.", no_args_is_help=True)
console = Console()


def _store(settings: Settings) -> Any:
    from wholechild.audit.checkpoint import enable_automatic_checkpoints
    from wholechild.storage.db import make_engine, migrate

    engine = make_engine(settings.database_url)
    migrate(engine)
    enable_automatic_checkpoints(engine, settings)
    return engine


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (WHOLECHILD_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (WHOLECHILD_PORT).")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (one a core serves most).")
    ] = 1,
) -> None:
    """Serve the web app and its JSON API (the store is migrated first)."""
    import uvicorn

    from wholechild.web.app import create_app

    settings = load_settings()
    engine = _store(settings)
    bind_host, bind_port = host or settings.host, port or settings.port
    options: dict[str, Any] = {"log_level": "warning", "server_header": False}
    app = create_app(settings, engine)  # here, so a configuration problem is a clear error
    console.print(f"wholechild is serving on http://{bind_host}:{bind_port} (Ctrl+C stops it)")
    if workers == 1:
        uvicorn.run(app, host=bind_host, port=bind_port, **options)
        return
    engine.dispose()  # each worker opens its own (settings come from the environment)
    factory = "wholechild.web.app:app_from_environment"
    uvicorn.run(factory, factory=True, workers=workers, host=bind_host, port=bind_port, **options)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[Role, typer.Option(help="What the account may do.")],
    agency: Annotated[Category, typer.Option(help="The account holder's agency.")],
    display_name: Annotated[str, typer.Option(help="Full name, as pages show it.")] = "",
    team: Annotated[str | None, typer.Option(help="Team, e.g. adoption.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    oidc_subject: Annotated[
        str | None,
        typer.Option(help="The identity provider's subject (Entra oid) for council sign-in."),
    ] = None,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Council sign-in only (needs --oidc-subject).")
    ] = False,
) -> None:
    """Create an account (password from a prompt, or --password-stdin)."""
    from wholechild.actions.accounts import create_account

    password = None if no_password else _read_password(password_stdin)
    account_id = create_account(
        _store(load_settings()),
        username=username,
        display_name=display_name or username,
        password=password,
        role=role.value,
        agency=agency.value,
        team=team,
        actor=ADMIN_ACTOR,
        purpose="administration",
        oidc_subject=oidc_subject,
    )
    console.print(f"account {account_id} created: {username} ({ROLE_LABELS[role]})")


@users_app.command("list")
def users_list() -> None:
    """Every account: role, agency, team, and whether it is locked."""
    from wholechild.actions.accounts import list_accounts

    table = Table("username", "name", "role", "agency", "team", "sign-in", "locked until")
    for a in list_accounts(_store(load_settings())):
        table.add_row(
            a.username,
            a.display_name,
            a.role,
            a.agency,
            a.team or "",
            "council account" if a.oidc else "password",
            f"{a.locked_until:%Y-%m-%d %H:%M} UTC" if a.locked_until else "",
        )
    console.print(table)


@users_app.command("unlock")
def users_unlock(username: Annotated[str, typer.Argument(help="The locked account.")]) -> None:
    """Clear an account's lock-out after repeated failed sign-ins."""
    from wholechild.actions.accounts import unlock_account

    unlock_account(
        _store(load_settings()), username=username, actor=ADMIN_ACTOR, purpose="administration"
    )
    console.print(f"{username} unlocked")


@users_app.command("seed-demo")
def users_seed_demo() -> None:
    """Create one demo account per role (not in production) and print them."""
    from wholechild.actions.accounts import DEMO_ACCOUNTS, seed_demo_accounts

    settings = load_settings()
    if settings.environment == "production":
        raise ConfigurationError(
            "demo accounts with a published password are refused in production",
            fix="create real accounts with `wholechild users create`",
        )
    created = seed_demo_accounts(_store(settings), password=DEMO_PASSWORD, actor=ADMIN_ACTOR)
    table = Table("username", "role", "agency", "team", title=f"Demo password: {DEMO_PASSWORD}")
    for username, _name, role, agency, team in DEMO_ACCOUNTS:
        table.add_row(username, ROLE_LABELS[role], agency.value, team or "")
    console.print(table)
    console.print(
        f"{len(created)} demo accounts created; {len(DEMO_ACCOUNTS) - len(created)} existed"
    )


__all__ = ["DEMO_PASSWORD", "serve", "users_app"]
