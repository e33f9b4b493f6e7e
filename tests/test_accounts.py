"""Accounts and sessions: sign-in, lock-out, unlock, expiry, sign-out; each audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update

from web_support import fast_password_hashes  # noqa: F401 - autouse fixture
from wholechild.actions.accounts import (
    AccountError,
    AccountLockedError,
    SignInError,
    create_account,
    list_accounts,
    resolve_session,
    seed_demo_accounts,
    sign_in,
    sign_in_oidc,
    sign_out,
    unlock_account,
)
from wholechild.core.access import Category, Role
from wholechild.settings import Settings
from wholechild.storage.schema import AuditEvent, UserAccount, UserSession

PASSWORD = "a long enough password"
SETTINGS = Settings(environment="test", lockout_attempts=3, lockout_minutes=15)


def _account(engine: Engine, username: str = "sam", **extra: object) -> int:
    fields: dict[str, object] = {
        "display_name": "Sam Worker",
        "password": PASSWORD,
        "role": "social_worker",
        "agency": "social_care",
        "team": None,
        **extra,
    }
    return create_account(
        engine, username=username, actor="test", purpose="administration", **fields
    )  # type: ignore[arg-type]


def _audit(engine: Engine) -> list[tuple[str, str, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.flagged).order_by(AuditEvent.id)
        ).all()
    return [(r.action, r.actor, r.flagged) for r in rows]


def test_password_is_stored_as_an_argon2id_hash(store: Engine) -> None:
    _account(store)
    with store.connect() as conn:
        stored = conn.scalar(select(UserAccount.password_hash))
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert _audit(store) == [("account_created", "test", False)]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"password": "too short"}, "at least 12 characters"),
        ({"role": "superuser"}, "is not a role"),
        ({"agency": "fire_service"}, "is not an agency"),
        ({"username": " "}, "1 to 128 characters"),
    ],
)
def test_account_rules_are_all_reported(
    store: Engine, fields: dict[str, str], problem: str
) -> None:
    extra = dict(fields)
    username = str(extra.pop("username", "pat"))
    with pytest.raises(AccountError, match=problem):
        _account(store, username, **extra)
    assert _audit(store) == []


def test_duplicate_username_and_several_problems_at_once(store: Engine) -> None:
    _account(store)
    with pytest.raises(AccountError) as caught:
        _account(store, password="short", role="nobody")
    message = str(caught.value)
    assert "already taken" in message and "12 characters" in message and "not a role" in message


def test_sign_in_opens_a_session_that_resolves_to_the_principal(store: Engine) -> None:
    _account(store, team="adoption")
    token, principal = sign_in(store, username="sam", password=PASSWORD, settings=SETTINGS)
    assert principal.role is Role.SOCIAL_WORKER and principal.agency is Category.SOCIAL_CARE
    assert principal.team == "adoption"
    live = resolve_session(store, token=token.value)
    assert live is not None and live.principal == principal
    assert live.csrf_token == token.csrf_token
    with store.connect() as conn:
        stored = conn.scalar(select(UserSession.token_hash))
    assert stored != token.value and len(stored or "") == 64  # only the SHA-256 is kept
    assert _audit(store)[-1] == ("sign_in", "sam", False)


@pytest.mark.parametrize("username", ["sam", "nobody"])
def test_wrong_password_or_unknown_user_fail_alike_and_are_audited(
    store: Engine, username: str
) -> None:
    _account(store)
    with pytest.raises(SignInError) as caught:
        sign_in(store, username=username, password="wrong password!", settings=SETTINGS)
    assert caught.value.message == "The username or password is not right."
    assert not isinstance(caught.value, AccountLockedError)
    action, actor, _ = _audit(store)[-1]
    assert (action, actor) == ("sign_in_failed", username)


def test_lock_out_after_repeated_failures_then_same_message_even_with_right_password(
    store: Engine,
) -> None:
    _account(store)
    for _ in range(SETTINGS.lockout_attempts - 1):
        with pytest.raises(SignInError):
            sign_in(store, username="sam", password="wrong password!", settings=SETTINGS)
    with pytest.raises(AccountLockedError) as locked:
        sign_in(store, username="sam", password="wrong password!", settings=SETTINGS)
    with pytest.raises(AccountLockedError) as still:
        sign_in(store, username="sam", password=PASSWORD, settings=SETTINGS)
    assert locked.value.message == still.value.message
    assert "locked" in still.value.message and "UTC" in still.value.message
    until = locked.value.until
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
    actions = [a for a, _, _ in _audit(store)]
    assert actions[-2:] == ["account_locked", "sign_in_refused_locked"]
    assert ("account_locked", "sam", True) in _audit(store)  # flagged for governance


def test_lock_out_ends_after_its_time(store: Engine) -> None:
    _account(store)
    with store.begin() as conn:
        conn.execute(update(UserAccount).values(locked_until=datetime.now(UTC) - timedelta(1)))
    _, principal = sign_in(store, username="sam", password=PASSWORD, settings=SETTINGS)
    assert principal.username == "sam"


def test_unlock_clears_the_lock_and_is_audited(store: Engine) -> None:
    _account(store)
    for _ in range(SETTINGS.lockout_attempts):
        with pytest.raises(SignInError):
            sign_in(store, username="sam", password="wrong password!", settings=SETTINGS)
    assert list_accounts(store)[0].locked_until is not None
    unlock_account(store, username="sam", actor="admin", purpose="administration")
    assert list_accounts(store)[0].locked_until is None
    assert ("account_unlocked", "admin", False) in _audit(store)
    sign_in(store, username="sam", password=PASSWORD, settings=SETTINGS)


def test_unlock_unknown_account_says_so(store: Engine) -> None:
    with pytest.raises(AccountError, match="no account 'ghost'"):
        unlock_account(store, username="ghost", actor="admin", purpose="administration")


def test_success_resets_the_failure_count(store: Engine) -> None:
    _account(store)
    for _ in range(SETTINGS.lockout_attempts - 1):
        with pytest.raises(SignInError):
            sign_in(store, username="sam", password="wrong password!", settings=SETTINGS)
    sign_in(store, username="sam", password=PASSWORD, settings=SETTINGS)
    with pytest.raises(SignInError) as caught:
        sign_in(store, username="sam", password="wrong password!", settings=SETTINGS)
    assert not isinstance(caught.value, AccountLockedError)


def test_expired_session_does_not_resolve(store: Engine) -> None:
    _account(store)
    token, _ = sign_in(store, username="sam", password=PASSWORD, settings=SETTINGS)
    with store.begin() as conn:
        conn.execute(update(UserSession).values(expires_at=datetime.now(UTC) - timedelta(1)))
    assert resolve_session(store, token=token.value) is None


def test_sign_out_revokes_the_session_and_is_audited(store: Engine) -> None:
    _account(store)
    token, _ = sign_in(store, username="sam", password=PASSWORD, settings=SETTINGS)
    assert sign_out(store, token=token.value) is True
    assert resolve_session(store, token=token.value) is None
    assert sign_out(store, token=token.value) is False
    assert _audit(store)[-1] == ("sign_out", "sam", False)


def test_inactive_account_cannot_sign_in_and_its_sessions_end(store: Engine) -> None:
    _account(store)
    token, _ = sign_in(store, username="sam", password=PASSWORD, settings=SETTINGS)
    with store.begin() as conn:
        conn.execute(update(UserAccount).values(active=False))
    assert resolve_session(store, token=token.value) is None
    with pytest.raises(SignInError):
        sign_in(store, username="sam", password=PASSWORD, settings=SETTINGS)


def test_oidc_sign_in_needs_a_provisioned_subject(store: Engine) -> None:
    _account(store, "entra.user", password=None, oidc_subject="oid-123")
    token, principal = sign_in_oidc(store, subject="oid-123", settings=SETTINGS)
    assert principal.username == "entra.user" and resolve_session(store, token=token.value)
    with pytest.raises(SignInError, match="not set up"):
        sign_in_oidc(store, subject="oid-unknown", settings=SETTINGS)
    assert [a for a, _, _ in _audit(store)][-2:] == ["sign_in", "sign_in_failed"]
    with pytest.raises(SignInError):  # no password: never a password sign-in
        sign_in(store, username="entra.user", password="", settings=SETTINGS)


def test_audit_failure_rolls_back_the_sign_in(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _account(store)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("audit store full")

    monkeypatch.setattr("wholechild.actions.accounts.record_audit", broken)
    with pytest.raises(RuntimeError):
        sign_in(store, username="sam", password=PASSWORD, settings=SETTINGS)
    with store.connect() as conn:
        assert conn.scalar(select(UserSession.id)) is None


def test_seed_demo_accounts_one_per_role_and_idempotent(store: Engine) -> None:
    created = seed_demo_accounts(store, password=PASSWORD, actor="test")
    roles = {a.role for a in list_accounts(store)}
    assert roles == {r.value for r in Role}
    assert any(a.team == "adoption" for a in list_accounts(store))
    assert seed_demo_accounts(store, password=PASSWORD, actor="test") == []
    assert len(created) == len(list_accounts(store))
