"""Keyed pseudonyms and coarsening: how identifying values leave wholechild.

A pseudonym is HMAC-SHA256 of the value under a secret key (``WHOLECHILD_PSEUDONYM_KEY``),
so the same child has the same pseudonym in every extract made with one key, and nobody
without the key can recompute it from a guessed NHS number or name. Dates are coarsened to
the month, postcodes to their district (outward code). Pure: the key is passed in.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from typing import Final

from wholechild.core.normalise import postcode_outward

__all__ = ["MIN_KEY_BYTES", "Pseudonymiser", "district", "month"]

MIN_KEY_BYTES: Final = 32


@dataclass(frozen=True, slots=True)
class Pseudonymiser:
    """Keyed pseudonyms under one secret key."""

    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) < MIN_KEY_BYTES:
            raise ValueError(f"a pseudonym key has at least {MIN_KEY_BYTES} bytes")

    @property
    def key_id(self) -> str:
        """Names the key without revealing it (recorded in manifests and audit entries)."""
        return hmac.new(self.key, b"wholechild pseudonym key id", hashlib.sha256).hexdigest()[:16]

    def of(self, kind: str, value: str) -> str:
        """The pseudonym of ``value`` of a kind ("person", "upn", "source_key:cin_census"...).

        The kind is hashed with the value, so equal values of different kinds differ."""
        message = f"{kind}\x1f{value}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()


def month(value: date | None) -> str | None:
    """A date coarsened to its month: 2015-03-17 -> '2015-03'."""
    return f"{value.year:04d}-{value.month:02d}" if value is not None else None


def district(postcode: str | None) -> str | None:
    """A postcode coarsened to its district (outward code): 'LS6 2AB' -> 'LS6'."""
    return postcode_outward(postcode)
