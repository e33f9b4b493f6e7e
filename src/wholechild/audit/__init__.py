"""The tamper-evident audit trail: verify the hash chain, sign checkpoints, manage the key.

Entries are written by ``wholechild.actions.audit.record_audit``; see
docs/adr/0007-audit-hash-chain.md for the design and ``wholechild audit --help`` for the CLI.
"""

from __future__ import annotations

from wholechild.audit.checkpoint import (
    Checkpoint,
    create_checkpoint,
    enable_automatic_checkpoints,
    sign_checkpoints_automatically,
)
from wholechild.audit.keys import key_id, load_or_create_signing_key, load_public_key
from wholechild.audit.verify import Problem, TamperKind, VerifyReport, verify_chain

__all__ = [
    "Checkpoint",
    "Problem",
    "TamperKind",
    "VerifyReport",
    "create_checkpoint",
    "enable_automatic_checkpoints",
    "key_id",
    "load_or_create_signing_key",
    "load_public_key",
    "sign_checkpoints_automatically",
    "verify_chain",
]
