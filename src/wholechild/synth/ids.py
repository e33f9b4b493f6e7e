"""Identifiers for synthetic children: valid, unique and deterministic.

NHS numbers come only from the range reserved for test data (999 000 0000 - 999 999 9999),
each with a valid mod-11 check digit. UPNs are built as the DfE builds them (LA code,
establishment, year of issue, serial) with the check letter in front. ULNs carry their
mod-11 check digit.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Final

from wholechild.core.identifiers import nhs_check_digit, uln_check_digit, upn_check_letter

_NHS_CAPACITY: Final = 1_000_000  # six free digits after "999"
_MASK44: Final = (1 << 44) - 1


class NhsNumbers:
    """Issues test-range NHS numbers in rising order; consecutive births get close numbers."""

    def __init__(self, rng: random.Random, expected: int) -> None:
        self._rng = rng
        self._stride = max(1, min(4, int(_NHS_CAPACITY * 0.85 / max(expected, 1))))
        self._next = rng.randrange(0, 1000)

    def issue(self) -> str:
        while True:
            self._next += self._rng.randint(1, self._stride)
            if self._next >= _NHS_CAPACITY:
                raise ValueError("the NHS test range holds no more numbers for this run")
            first_nine = f"999{self._next:06d}"
            check = nhs_check_digit(first_nine)
            if check is not None:
                return f"{first_nine}{check}"


class Upns:
    """Issues UPNs: LA code + establishment + two-digit year + serial, check letter first."""

    def __init__(self, la_code: str) -> None:
        self._la = la_code
        self._serials: dict[tuple[str, int], int] = {}

    def issue(self, estab: str, issued: date) -> str:
        key = (estab, issued.year % 100)
        serial = self._serials.get(key, 0) + 1
        if serial > 999:  # a busy school-year: borrow the next year's block
            return self.issue(estab, date(issued.year + 1, 1, 1))
        self._serials[key] = serial
        body = f"{self._la}{estab}{key[1]:02d}{serial:03d}"
        return upn_check_letter(body) + body


class Ulns:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._seen: set[str] = set()

    def issue(self) -> str:
        while True:
            first_nine = str(self._rng.randrange(100_000_000, 1_000_000_000))
            check = uln_check_digit(first_nine)
            uln = f"{first_nine}{check}"
            if check is not None and check < 10 and uln not in self._seen:
                self._seen.add(uln)
                return uln


def table_id(counter: int, salt: int, width: int = 44) -> str:
    """A random-looking hexadecimal row id, unique per counter ('0002e817-8ca' for width 44).

    Multiplying by an odd constant modulo 2**44 is a bijection, so ids never collide.
    """
    mixed = ((counter + salt) * 0x9E3779B97F4A7C15) & _MASK44
    text = f"{mixed:011x}"
    return f"{text[:8]}-{text[8:]}" if width == 44 else f"{mixed & 0xFFFFFFFF:08x}"
