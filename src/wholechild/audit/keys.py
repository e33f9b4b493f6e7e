"""The Ed25519 key that signs audit checkpoints, and its public half for verifiers.

Production requires ``WHOLECHILD_AUDIT_SIGNING_KEY`` (a PEM file); development and test create
a key under ``var/keys/`` (owner-only, 0600) on first use. A verifier needs only the public key
(``wholechild audit export-key``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wholechild.errors import ConfigurationError, InputFileError
from wholechild.settings import Settings

__all__ = [
    "DEV_KEYS_DIR",
    "key_id",
    "load_or_create_signing_key",
    "load_public_key",
    "public_key_pem",
    "write_public_key",
]

log = logging.getLogger(__name__)
DEV_KEYS_DIR: Final = Path("var/keys")
DEV_KEY_NAME: Final = "audit-signing.pem"
_NEW_KEY_HINT: Final = (
    "create one with `openssl genpkey -algorithm ed25519 -out audit-signing.pem`, keep it "
    "readable only by wholechild, and set WHOLECHILD_AUDIT_SIGNING_KEY to its path"
)


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key's fingerprint: SHA-256 of its raw public bytes, hex (stored with checkpoints)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def write_public_key(key: Ed25519PrivateKey, path: Path) -> str:
    """Write the public half of ``key`` to ``path`` (PEM); returns its key id."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(public_key_pem(key))
    return key_id(key.public_key())


def load_or_create_signing_key(
    settings: Settings, *, keys_dir: Path = DEV_KEYS_DIR
) -> Ed25519PrivateKey:
    """The checkpoint signing key from settings; outside production, created if unset."""
    if settings.audit_signing_key is not None:
        return _load_private_key(settings.audit_signing_key)
    if settings.environment == "production":
        raise ConfigurationError(
            "WHOLECHILD_AUDIT_SIGNING_KEY is not set: production needs a key to sign the "
            "audit trail's checkpoints",
            fix=_NEW_KEY_HINT,
        )
    path = keys_dir / DEV_KEY_NAME
    if path.exists():
        return _load_private_key(path)
    return _create_private_key(path)


def _create_private_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    log.info("created a development audit signing key %s", key_id(key.public_key())[:16])
    return key


def _load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the audit signing key {path}: {exc.strerror}", fix=_NEW_KEY_HINT
        ) from None
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigurationError(
            f"{path} is not an unencrypted PEM private key", fix=_NEW_KEY_HINT
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path} is not an Ed25519 key", fix=_NEW_KEY_HINT)
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A verifier's public key (PEM, as ``wholechild audit export-key`` writes it)."""
    fix = "export it with `wholechild audit export-key --out FILE` where the signing key is"
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise InputFileError(
            f"cannot read the public key {path}: {exc.strerror}", fix=fix
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise InputFileError(f"{path} is not a PEM public key", fix=fix) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputFileError(f"{path} is not an Ed25519 public key", fix=fix)
    return key
