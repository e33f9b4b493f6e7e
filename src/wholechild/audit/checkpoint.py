"""Signed checkpoints of the audit chain: "entries up to N hash to H", signed with Ed25519.

Someone with write access to the database could edit an entry and re-hash every entry after
it; the chain would then verify. A checkpoint's signature cannot be re-made without the signing
key (kept outside the database), so ``verify_chain`` catches that through the checkpoints.

Automatic checkpoints: :func:`sign_checkpoints_automatically` registers a key for an engine;
from then on ``record_audit`` signs a checkpoint in the same transaction whenever ``every``
entries have been appended since the last one. It already holds the chain lock and knows the
new head, and it remembers the last checkpoint it saw, so it reads the store only when one may
be due: one integer comparison per entry, and a query and a signature (~0.1 ms) per ``every``.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, Engine, insert, select

from wholechild.audit.chain import Head, chain_head, lock_chain
from wholechild.audit.keys import key_id, load_or_create_signing_key
from wholechild.errors import UserError
from wholechild.settings import Settings
from wholechild.storage.schema import AuditCheckpoint

__all__ = [
    "Checkpoint",
    "checkpoint_if_due",
    "checkpoint_statement",
    "create_checkpoint",
    "enable_automatic_checkpoints",
    "sign_checkpoints_automatically",
    "signature_valid",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement that entries up to ``last_event_id`` hash to ``chain_hash``."""

    id: int
    last_event_id: int
    chain_hash: str
    signed_at: datetime
    key_id: str
    signature: str

    @property
    def statement(self) -> bytes:
        return checkpoint_statement(
            last_event_id=self.last_event_id,
            chain_hash=self.chain_hash,
            signed_at=self.signed_at,
            key_id=self.key_id,
        )


@dataclass(slots=True)
class _Policy:
    key: Ed25519PrivateKey
    every: int
    # The last checkpointed entry this process has read from the store. Checkpoints only move
    # forward, so when this says "not due", nothing needs reading; when it says "due", the
    # store is asked. (Read inside a transaction that later rolls back, it can run ahead of the
    # store: the next checkpoint then comes up to ``every`` entries late, never early.)
    seen: int = 0


_LAST_SIGNED: Final = (
    select(AuditCheckpoint.last_event_id).order_by(AuditCheckpoint.id.desc()).limit(1)
)
_POLICIES: weakref.WeakKeyDictionary[Engine, _Policy] = weakref.WeakKeyDictionary()


def checkpoint_statement(
    *, last_event_id: int, chain_hash: str, signed_at: datetime, key_id: str
) -> bytes:
    """The exact bytes signed: plain text, so a person can read what was attested."""
    moment = signed_at if signed_at.tzinfo else signed_at.replace(tzinfo=UTC)
    return (
        "wholechild audit checkpoint v1\n"
        f"entries 1..{last_event_id} hash to {chain_hash}\n"
        f"signed at {moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}\n"
        f"key {key_id}\n"
    ).encode()


def signature_valid(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(bytes.fromhex(checkpoint.signature), checkpoint.statement)
    except (InvalidSignature, ValueError):
        return False
    return True


def create_checkpoint(engine: Engine, *, key: Ed25519PrivateKey) -> Checkpoint:
    """Sign the chain's head now; if the last checkpoint already covers it, return that."""
    with engine.begin() as conn:
        lock_chain(conn)
        head = chain_head(conn)
        if head is None:
            raise UserError(
                "the audit trail is empty: there is nothing to sign yet",
                fix="sign a checkpoint once something has been recorded",
            )
        last = latest_checkpoint(conn)
        if last is not None and last.last_event_id == head.event_id:
            return last
        return _write(conn, key, head)


def sign_checkpoints_automatically(
    engine: Engine, *, key: Ed25519PrivateKey | None, every: int
) -> None:
    """From now on, ``record_audit`` on ``engine`` signs a checkpoint every ``every`` entries.

    ``key=None`` stops it. Call once where the engine is made (the web app, the CLI).
    """
    if key is None:
        _POLICIES.pop(engine, None)
        return
    if every < 1:
        raise UserError(
            f"audit checkpoints every {every} entries is not possible",
            fix="set WHOLECHILD_AUDIT_CHECKPOINT_EVERY to 1 or more",
        )
    _POLICIES[engine] = _Policy(key, every)


def enable_automatic_checkpoints(engine: Engine, settings: Settings) -> None:
    """Sign checkpoints on ``engine`` with the configured key (one line at each entry point).

    Production without ``WHOLECHILD_AUDIT_SIGNING_KEY`` is a ConfigurationError.
    """
    key = load_or_create_signing_key(settings)
    sign_checkpoints_automatically(engine, key=key, every=settings.audit_checkpoint_every)


def checkpoint_if_due(conn: Connection, head: Head) -> Checkpoint | None:
    """Called by ``record_audit`` under the chain lock, just after appending ``head``."""
    policy = _POLICIES.get(conn.engine)
    if policy is None:
        return None
    if head.event_id - policy.seen < policy.every:
        return None
    policy.seen = conn.scalar(_LAST_SIGNED) or 0
    if head.event_id - policy.seen < policy.every:
        return None
    return _write(conn, policy.key, head)


def latest_checkpoint(conn: Connection) -> Checkpoint | None:
    row = conn.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
    return checkpoint_from_row(row) if row else None


def checkpoint_from_row(row: object) -> Checkpoint:
    values = row._mapping  # type: ignore[attr-defined]
    signed_at = values["signed_at"]  # SQLite keeps no time zone: it was written in UTC
    return Checkpoint(
        id=values["id"],
        last_event_id=values["last_event_id"],
        chain_hash=values["chain_hash"],
        signed_at=signed_at if signed_at.tzinfo else signed_at.replace(tzinfo=UTC),
        key_id=values["key_id"],
        signature=values["signature"],
    )


def _write(conn: Connection, key: Ed25519PrivateKey, head: Head) -> Checkpoint:
    signed_at = datetime.now(UTC)
    kid = key_id(key.public_key())
    statement = checkpoint_statement(
        last_event_id=head.event_id, chain_hash=head.entry_hash, signed_at=signed_at, key_id=kid
    )
    signature = key.sign(statement).hex()
    new_id = conn.execute(
        insert(AuditCheckpoint).returning(AuditCheckpoint.id),
        {
            "last_event_id": head.event_id,
            "chain_hash": head.entry_hash,
            "signed_at": signed_at,
            "key_id": kid,
            "signature": signature,
        },
    ).scalar_one()
    log.info("audit checkpoint %s signed at entry %s", new_id, head.event_id)
    return Checkpoint(new_id, head.event_id, head.entry_hash, signed_at, kid, signature)
