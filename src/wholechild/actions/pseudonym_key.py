"""The secret key behind keyed pseudonyms (analytical extracts, pseudonymised records).

Production requires ``WHOLECHILD_PSEUDONYM_KEY``: a file holding at least 64 hexadecimal
characters (32 random bytes). Development and test create one under ``var/keys/`` (owner-only,
0600) on first use, as the audit signing key is. Changing the key changes every pseudonym:
keep it as long as extracts made with it must stay comparable.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Final

from wholechild.errors import ConfigurationError
from wholechild.governance.pseudonyms import MIN_KEY_BYTES, Pseudonymiser
from wholechild.settings import Settings

__all__ = ["DEV_KEY_NAME", "load_or_create_pseudonymiser"]

log = logging.getLogger(__name__)
DEV_KEYS_DIR: Final = Path("var/keys")
DEV_KEY_NAME: Final = "pseudonym.key"
_HINT: Final = (
    "create one with `openssl rand -hex 32 > pseudonym.key`, keep it readable only by "
    "wholechild, and set WHOLECHILD_PSEUDONYM_KEY to its path"
)


def load_or_create_pseudonymiser(
    settings: Settings, *, keys_dir: Path = DEV_KEYS_DIR
) -> Pseudonymiser:
    """The pseudonymiser from settings; outside production, a key is created if unset."""
    if settings.pseudonym_key is not None:
        return Pseudonymiser(_read_key(settings.pseudonym_key))
    if settings.environment == "production":
        raise ConfigurationError(
            "WHOLECHILD_PSEUDONYM_KEY is not set: production needs a secret key for pseudonyms",
            fix=_HINT,
        )
    path = keys_dir / DEV_KEY_NAME
    if not path.exists():
        _create_key(path)
    return Pseudonymiser(_read_key(path))


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(MIN_KEY_BYTES) + "\n")
    log.info("created a development pseudonym key at %s", path)


def _read_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"cannot read the pseudonym key {path}: {exc}", fix=_HINT
        ) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ConfigurationError(f"{path} is not hexadecimal", fix=_HINT) from None
    if len(key) < MIN_KEY_BYTES:
        raise ConfigurationError(
            f"{path} holds {len(key)} bytes; a pseudonym key needs at least {MIN_KEY_BYTES}",
            fix=_HINT,
        )
    return key
