"""Accounts and sessions: who may sign in, and the server-side sessions they hold.

Local accounts carry an argon2id password hash; accounts provisioned for OpenID Connect carry
the identity provider's subject instead. A session is a random token in the browser's cookie;
the store keeps only its SHA-256, with a per-session CSRF token, an expiry and a revocation.

Every sign-in (success, failure, lock-out) and sign-out, and every change to an account, writes
its audit entry in the same transaction. Audit details carry ids and counts, never passwords.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, insert, select, update

from wholechild.access import Resource, require
from wholechild.actions.audit import record_audit
from wholechild.core.access import Category, Principal, Purpose, Role, category_of
from wholechild.errors import UserError
from wholechild.settings import Settings
from wholechild.storage.schema import UserAccount, UserSession

__all__ = [
    "DEMO_ACCOUNTS",
    "MIN_PASSWORD_LENGTH",
    "AccountError",
    "AccountLockedError",
    "AccountSummary",
    "SessionToken",
    "SignInError",
    "SignedIn",
    "accounts_for",
    "create_account",
    "create_account_as",
    "list_accounts",
    "resolve_session",
    "seed_demo_accounts",
    "sign_in",
    "sign_in_oidc",
    "sign_out",
    "unlock_account",
    "unlock_account_as",
]

log = logging.getLogger(__name__)
MIN_PASSWORD_LENGTH: Final = 12
SIGN_IN_PURPOSE: Final = "sign in"
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class AccountError(UserError):
    """An account cannot be created or changed as asked."""


class SignInError(UserError):
    """Wrong username or password (never says which), or an unknown identity-provider account."""

    exit_code = 6


class AccountLockedError(SignInError):
    """Too many failed sign-ins in a row: the account is locked until ``until``."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(
            f"This account is locked after repeated failed sign-ins. It unlocks at "
            f"{until.astimezone(UTC):%H:%M} UTC on {until.astimezone(UTC):%d %B %Y}.",
            fix="Wait until then, or ask an administrator to unlock the account.",
        )


@dataclass(frozen=True, slots=True)
class SessionToken:
    """What the browser keeps: the session token (cookie) and the session's CSRF token."""

    value: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live session resolved from its cookie."""

    session_id: int
    principal: Principal
    display_name: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AccountSummary:
    id: int
    username: str
    display_name: str
    role: str
    agency: str
    team: str | None
    active: bool
    locked_until: datetime | None
    oidc: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes: they were written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so that a miss takes as
    long as a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def _account_problems(
    conn: Connection, *, username: str, password: str | None, role: str, agency: str
) -> list[str]:
    problems = []
    if not username.strip() or len(username) > 128:
        problems.append("the username must be 1 to 128 characters")
    if conn.scalar(select(UserAccount.id).where(UserAccount.username == username)) is not None:
        problems.append(f"the username {username!r} is already taken")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    if role not in {r.value for r in Role}:
        problems.append(f"{role!r} is not a role ({', '.join(r.value for r in Role)})")
    if agency not in {c.value for c in Category}:
        problems.append(f"{agency!r} is not an agency ({', '.join(c.value for c in Category)})")
    return problems


def create_account(
    engine: Engine,
    *,
    username: str,
    display_name: str,
    password: str | None,
    role: str,
    agency: str,
    team: str | None,
    actor: str,
    purpose: str,
    oidc_subject: str | None = None,
) -> int:
    """Create an account (a password, an OpenID Connect subject, or both); return its id."""
    if password is None and oidc_subject is None:
        raise AccountError(
            "an account needs a password or an identity-provider subject",
            fix="give a password of at least 12 characters, or the OpenID Connect subject",
        )
    with engine.begin() as conn:
        problems = _account_problems(
            conn, username=username, password=password, role=role, agency=agency
        )
        if problems:
            raise AccountError(
                "the account cannot be created: " + "; ".join(problems),
                fix="correct each problem and try again",
            )
        account_id = _insert_account(
            conn,
            username=username,
            display_name=display_name or username,
            password=password,
            role=role,
            agency=agency,
            team=team,
            oidc_subject=oidc_subject,
        )
        record_audit(
            conn,
            actor=actor,
            purpose=purpose,
            action="account_created",
            target_type="user_account",
            target_id=str(account_id),
            details={"role": role, "agency": agency, "oidc": oidc_subject is not None},
        )
    return account_id


def _insert_account(conn: Connection, *, password: str | None, **fields: Any) -> int:
    values = {
        **fields,
        "password_hash": _hasher.hash(password) if password is not None else None,
        "active": True,
        "failed_attempts": 0,
        "locked_until": None,
        "created_at": _now(),
    }
    result = conn.execute(insert(UserAccount).returning(UserAccount.id), values)
    return int(result.scalar_one())


def _principal(account: Any) -> Principal:
    return Principal(
        username=account.username,
        role=Role(account.role),
        agency=category_of(account.agency),
        team=account.team,
    )


def _audit_sign_in(
    conn: Connection, account: Any, username: str, action: str, **extra: Any
) -> None:
    record_audit(
        conn,
        actor=account.username if account is not None else username[:128],
        purpose=SIGN_IN_PURPOSE,
        action=action,
        target_type="user_account",
        target_id=str(account.id) if account is not None else None,
        details=extra,
        flagged=action == "account_locked",
    )


def sign_in(
    engine: Engine, *, username: str, password: str, settings: Settings
) -> tuple[SessionToken, Principal]:
    """Check a username and password; open a session. Raises SignInError or AccountLockedError
    (after the failure and its audit entry are committed)."""
    refusal: SignInError | None = None
    with engine.begin() as conn:
        account = conn.execute(
            select(UserAccount).where(UserAccount.username == username)
        ).one_or_none()
        correct = _verify(account.password_hash if account else None, password)
        locked_until = _aware(account.locked_until) if account else None
        if account is not None and locked_until is not None and locked_until > _now():
            _audit_sign_in(conn, account, username, "sign_in_refused_locked")
            refusal = AccountLockedError(locked_until)
        elif account is None or not account.active or not correct:
            refusal = _record_failure(conn, account, username, settings)
        else:
            token = _open_session(conn, account.id, settings)
            _audit_sign_in(conn, account, username, "sign_in", method="password")
            return token, _principal(account)
    raise refusal


def _record_failure(
    conn: Connection, account: Any, username: str, settings: Settings
) -> SignInError:
    if account is None:
        _audit_sign_in(conn, None, username, "sign_in_failed", reason="unknown_username")
        return _wrong_details(settings)
    attempts = account.failed_attempts + 1
    if attempts < settings.lockout_attempts:
        conn.execute(
            update(UserAccount).where(UserAccount.id == account.id).values(failed_attempts=attempts)
        )
        _audit_sign_in(conn, account, username, "sign_in_failed", attempts=attempts)
        return _wrong_details(settings)
    until = _now() + timedelta(minutes=settings.lockout_minutes)
    conn.execute(
        update(UserAccount)
        .where(UserAccount.id == account.id)
        .values(failed_attempts=0, locked_until=until)
    )
    _audit_sign_in(conn, account, username, "account_locked", attempts=attempts)
    return AccountLockedError(until)


def _wrong_details(settings: Settings) -> SignInError:
    return SignInError(
        "The username or password is not right.",
        fix=(
            f"Check them and try again. After {settings.lockout_attempts} failed attempts in a "
            f"row the account is locked for {settings.lockout_minutes} minutes."
        ),
    )


def _open_session(conn: Connection, user_id: int, settings: Settings) -> SessionToken:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = _now()
    expires = now + timedelta(hours=settings.session_hours)
    conn.execute(
        insert(UserSession),
        {
            "token_hash": _token_hash(token),
            "user_id": user_id,
            "csrf_token": csrf,
            "created_at": now,
            "expires_at": expires,
            "revoked_at": None,
        },
    )
    conn.execute(
        update(UserAccount)
        .where(UserAccount.id == user_id)
        .values(failed_attempts=0, locked_until=None)
    )
    return SessionToken(value=token, csrf_token=csrf, expires_at=expires)


def sign_in_oidc(
    engine: Engine, *, subject: str, settings: Settings
) -> tuple[SessionToken, Principal]:
    """Open a session for the pre-provisioned account whose identity-provider subject is
    ``subject`` (the ``oid`` or ``sub`` claim of a validated ID token)."""
    with engine.begin() as conn:
        account = conn.execute(
            select(UserAccount).where(UserAccount.oidc_subject == subject)
        ).one_or_none()
        if account is None or not account.active:
            record_audit(
                conn,
                actor="oidc",
                purpose=SIGN_IN_PURPOSE,
                action="sign_in_failed",
                target_type="user_account",
                target_id=str(account.id) if account is not None else None,
                details={"method": "oidc", "reason": "not_provisioned"},
            )
        else:
            token = _open_session(conn, account.id, settings)
            _audit_sign_in(conn, account, account.username, "sign_in", method="oidc")
            return token, _principal(account)
    raise SignInError(
        "Your council account is not set up to use wholechild.",
        fix="Ask a wholechild administrator to create your account; then sign in again.",
    )


def resolve_session(engine: Engine, *, token: str) -> SignedIn | None:
    """The live session for a cookie's token, or None (unknown, expired, revoked, inactive)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(
                UserSession.id.label("session_id"),
                UserSession.csrf_token,
                UserSession.expires_at,
                UserAccount.username,
                UserAccount.display_name,
                UserAccount.role,
                UserAccount.agency,
                UserAccount.team,
            )
            .join(UserAccount, UserAccount.id == UserSession.user_id)
            .where(
                UserSession.token_hash == _token_hash(token),
                UserSession.revoked_at.is_(None),
                UserAccount.active.is_(True),
            )
        ).one_or_none()
    if row is None:
        return None
    expires = _aware(row.expires_at)
    if expires is None or expires <= _now():
        return None
    return SignedIn(
        session_id=row.session_id,
        principal=_principal(row),
        display_name=row.display_name,
        csrf_token=row.csrf_token,
        expires_at=expires,
    )


def sign_out(engine: Engine, *, token: str) -> bool:
    """Revoke the session; True if there was a live one."""
    with engine.begin() as conn:
        row = conn.execute(
            select(UserSession.id, UserAccount.id.label("user_id"), UserAccount.username)
            .join(UserAccount, UserAccount.id == UserSession.user_id)
            .where(UserSession.token_hash == _token_hash(token), UserSession.revoked_at.is_(None))
        ).one_or_none()
        if row is None:
            return False
        conn.execute(update(UserSession).where(UserSession.id == row.id).values(revoked_at=_now()))
        record_audit(
            conn,
            actor=row.username,
            purpose=SIGN_IN_PURPOSE,
            action="sign_out",
            target_type="user_account",
            target_id=str(row.user_id),
            details={"session_id": row.id},
        )
    return True


def unlock_account(engine: Engine, *, username: str, actor: str, purpose: str) -> None:
    """Clear an account's lock-out and failed-attempt count."""
    with engine.begin() as conn:
        account_id = conn.scalar(select(UserAccount.id).where(UserAccount.username == username))
        if account_id is None:
            raise AccountError(
                f"there is no account {username!r}", fix="check the username (users list)"
            )
        conn.execute(
            update(UserAccount)
            .where(UserAccount.id == account_id)
            .values(failed_attempts=0, locked_until=None)
        )
        record_audit(
            conn,
            actor=actor,
            purpose=purpose,
            action="account_unlocked",
            target_type="user_account",
            target_id=str(account_id),
            details={},
        )


def list_accounts(engine: Engine) -> list[AccountSummary]:
    """Every account, by username (no hashes)."""
    with engine.connect() as conn:
        rows = conn.execute(select(UserAccount).order_by(UserAccount.username)).all()
    return [
        AccountSummary(
            id=r.id,
            username=r.username,
            display_name=r.display_name,
            role=r.role,
            agency=r.agency,
            team=r.team,
            active=r.active,
            locked_until=_aware(r.locked_until),
            oidc=r.oidc_subject is not None,
        )
        for r in rows
    ]


def _require_admin(engine: Engine, principal: Principal) -> None:
    require(engine, principal, "manage_users", Resource("Accounts"), purpose=Purpose.ADMINISTRATION)


def accounts_for(engine: Engine, principal: Principal) -> list[AccountSummary]:
    """Every account, for an administrator (access decided at the choke point)."""
    _require_admin(engine, principal)
    return list_accounts(engine)


def create_account_as(engine: Engine, principal: Principal, **account: Any) -> int:
    """``create_account`` by a signed-in administrator (access decided at the choke point)."""
    _require_admin(engine, principal)
    return create_account(
        engine, actor=principal.username, purpose=Purpose.ADMINISTRATION.value, **account
    )


def unlock_account_as(engine: Engine, principal: Principal, *, username: str) -> None:
    """``unlock_account`` by a signed-in administrator (access decided at the choke point)."""
    _require_admin(engine, principal)
    unlock_account(
        engine, username=username, actor=principal.username, purpose=Purpose.ADMINISTRATION.value
    )


# One demo account per role (and an adoption-team social worker, who alone sees sealed
# records), for the synthetic council only: ``wholechild users seed-demo`` refuses production.
DEMO_ACCOUNTS: Final = (
    ("social.worker", "Sam Social Worker", Role.SOCIAL_WORKER, Category.SOCIAL_CARE, None),
    (
        "adoption.worker",
        "Ada Adoption Worker",
        Role.SOCIAL_WORKER,
        Category.SOCIAL_CARE,
        "adoption",
    ),
    ("early.help", "Eli Early Help", Role.EARLY_HELP_WORKER, Category.EARLY_HELP, None),
    ("send.caseworker", "Sky SEND Caseworker", Role.SEND_CASEWORKER, Category.SEND, None),
    ("school.dsl", "Sol School Lead", Role.SCHOOL_SAFEGUARDING_LEAD, Category.EDUCATION, None),
    ("health.visitor", "Hal Health", Role.HEALTH_PRACTITIONER, Category.HEALTH, None),
    ("police.officer", "Pat Police", Role.POLICE_OFFICER, Category.POLICE, None),
    ("data.analyst", "Dee Data Analyst", Role.DATA_ANALYST, Category.OTHER, None),
    ("ig.officer", "Ira Governance", Role.IG_OFFICER, Category.OTHER, None),
    ("admin", "Ari Administrator", Role.ADMINISTRATOR, Category.OTHER, None),
)


def seed_demo_accounts(engine: Engine, *, password: str, actor: str) -> list[str]:
    """Create the demo accounts that do not exist yet; return the usernames created."""
    existing = {a.username for a in list_accounts(engine)}
    created = []
    for username, name, role, agency, team in DEMO_ACCOUNTS:
        if username in existing:
            continue
        create_account(
            engine,
            username=username,
            display_name=name,
            password=password,
            role=role.value,
            agency=agency.value,
            team=team,
            actor=actor,
            purpose=Purpose.ADMINISTRATION.value,
        )
        created.append(username)
    return created
