"""Check digits for the identifiers English children's services hold.

Pure functions, no I/O. A failed check is a *finding*, never a rejection: identifiers are
sometimes wrong, and the record still matters.

- UPN (Unique Pupil Number): 13 characters, a check letter first, then 12 characters (11 digits
  and a final digit, or a final letter for a temporary UPN). Check letter: characters 2..13
  weighted 2..13, summed, mod 23, indexed into the 23-letter alphabet without I, O and S.
- ULN (Unique Learner Number): 10 digits; the first nine weighted 10..2, summed, mod 11; the
  check digit is 10 minus the remainder (remainder 0 cannot be issued).
- NHS number: 10 digits; the first nine weighted 10..2, summed, mod 11; check = 11 - remainder
  (11 becomes 0; 10 cannot be issued). 999 000 0000 - 999 999 9999 is reserved for test data.
"""

from __future__ import annotations

import re
from enum import StrEnum

UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: A-Z without I, O, S
_UPN_SHAPE = re.compile(r"^[A-Z](\d{12}|\d{11}[A-Z])$")
_ULN_SHAPE = re.compile(r"^\d{10}$")
_NHS_SHAPE = re.compile(r"^\d{10}$")
_SPACES = re.compile(r"[\s\-]")


# Why a child has no UPN (CIN census, SEN2, SSDA903 "UPN" field): UN1 ... UN10.
UPN_UNKNOWN_CODES = frozenset(f"UN{n}" for n in range(1, 11))


class IdCheck(StrEnum):
    """The outcome of checking one identifier."""

    VALID = "valid"
    MISSING = "missing"
    BAD_SHAPE = "bad_shape"
    BAD_CHECK = "bad_check"


def clean_identifier(value: str | None) -> str | None:
    """Upper-case and strip spaces and hyphens; ``None`` for blank."""
    if value is None:
        return None
    cleaned = _SPACES.sub("", value).upper()
    return cleaned or None


def upn_check_letter(body: str) -> str:
    """The check letter for the 12 characters that follow it."""
    if len(body) != 12:
        raise ValueError("a UPN body is 12 characters")
    total = 0
    for weight, char in enumerate(body, start=2):
        value = int(char) if char.isdigit() else UPN_ALPHABET.index(char)
        total += weight * value
    return UPN_ALPHABET[total % 23]


def upn_unknown_code(value: str | None) -> str | None:
    """'UN3' when a UPN field holds a reason for having no UPN (as SSDA903 files do)."""
    code = clean_identifier(value)
    return code if code in UPN_UNKNOWN_CODES else None


def check_upn(value: str | None) -> IdCheck:
    upn = clean_identifier(value)
    if upn is None or upn in UPN_UNKNOWN_CODES:
        return IdCheck.MISSING
    if not _UPN_SHAPE.match(upn) or (upn[-1].isalpha() and upn[-1] not in UPN_ALPHABET):
        return IdCheck.BAD_SHAPE
    return IdCheck.VALID if upn_check_letter(upn[1:]) == upn[0] else IdCheck.BAD_CHECK


def _weighted_mod11(digits: str) -> int:
    return sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11


def uln_check_digit(first_nine: str) -> int | None:
    """The ULN check digit for nine digits, or ``None`` when no valid ULN starts so."""
    remainder = _weighted_mod11(first_nine)
    return None if remainder == 0 else 10 - remainder


def check_uln(value: str | None) -> IdCheck:
    uln = clean_identifier(value)
    if uln is None:
        return IdCheck.MISSING
    if not _ULN_SHAPE.match(uln):
        return IdCheck.BAD_SHAPE
    return IdCheck.VALID if uln_check_digit(uln[:9]) == int(uln[9]) else IdCheck.BAD_CHECK


def nhs_check_digit(first_nine: str) -> int | None:
    """The NHS number check digit for nine digits, or ``None`` when none can be issued."""
    check = 11 - _weighted_mod11(first_nine)
    if check == 11:
        return 0
    return None if check == 10 else check


def check_nhs_number(value: str | None) -> IdCheck:
    nhs = clean_identifier(value)
    if nhs is None:
        return IdCheck.MISSING
    if not _NHS_SHAPE.match(nhs):
        return IdCheck.BAD_SHAPE
    return IdCheck.VALID if nhs_check_digit(nhs[:9]) == int(nhs[9]) else IdCheck.BAD_CHECK


def is_test_nhs_number(value: str | None) -> bool:
    """True for the range NHS England reserves for test data (999 000 0000 - 999 999 9999)."""
    nhs = clean_identifier(value)
    return nhs is not None and len(nhs) == 10 and nhs.startswith("999")
