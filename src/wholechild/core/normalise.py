"""Normalisers: the comparable form of names, postcodes and dates as agencies write them.

Pure functions, no I/O. Every normaliser is idempotent (normalising twice changes nothing) and
total (any string in, a value or ``None`` out, never an exception); the property tests hold
them to that.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

_NON_NAME = re.compile(r"[^A-Z' \-]")
_HYPHENS = re.compile(r"\s*-\s*")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")
# Letters that Unicode NFKD does not decompose into an ASCII base letter.
_SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "SS",
        "Æ": "AE",
        "æ": "AE",
        "Ø": "O",
        "ø": "O",
        "Ł": "L",
        "ł": "L",
        "Đ": "D",
        "đ": "D",
        "Þ": "TH",
        "þ": "TH",
        "Œ": "OE",
        "œ": "OE",
        "ı": "I",
    }
)


def fold_accents(value: str) -> str:
    """'Zoë Łukasz' -> 'Zoe Lukasz'."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_SPECIAL_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_name(value: str | None) -> str | None:
    """Upper case, accents folded, punctuation other than hyphen and apostrophe removed.

    Hyphens are kept (tight, no spaces around them) so that a double-barrelled surname can be
    compared whole and by its parts (see :func:`name_parts`).
    """
    if value is None:
        return None
    folded = fold_accents(value.translate(_APOSTROPHES)).upper()
    cleaned = _HYPHENS.sub("-", _NON_NAME.sub(" ", folded))
    cleaned = re.sub(r"-+", "-", cleaned)
    tokens = [token.strip("-'") for token in cleaned.split()]
    return " ".join(t for t in tokens if t) or None


def name_parts(value: str | None) -> tuple[str, ...]:
    """The parts of a normalised name: 'SMITH-JONES' -> ('SMITH', 'JONES')."""
    name = normalise_name(value)
    if name is None:
        return ()
    return tuple(p for p in re.split(r"[ \-]", name) if p)


def normalise_postcode(value: str | None) -> str | None:
    """A full UK postcode as 'OUTWARD INWARD' ('sw1a1aa' -> 'SW1A 1AA'), else ``None``.

    Common keying slips are repaired only where unambiguous: letter O for zero in the inward
    digit position. Anything that is not a postcode shape is ``None`` (the raw value is kept).
    """
    if value is None:
        return None
    compact = re.sub(r"[^A-Z0-9]", "", value.upper())
    if len(compact) >= 5 and compact[-3] == "O":
        compact = compact[:-3] + "0" + compact[-2:]
    match = _POSTCODE.match(compact)
    return f"{match.group(1)} {match.group(2)}" if match else None


def postcode_outward(value: str | None) -> str | None:
    """The outward code (district) of a postcode: 'SW1A 1AA' -> 'SW1A'."""
    full = normalise_postcode(value)
    if full is not None:
        return full.split(" ")[0]
    compact = re.sub(r"[^A-Z0-9]", "", (value or "").upper())
    return compact if _OUTWARD.match(compact) else None


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%Y-%b-%d",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%Y%m%d",
    "%d/%m/%y",
)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}
_ISO_MONTH_NAME = re.compile(r"^(\d{4})-([A-Za-z]{3})-(\d{1,2})$")
_TIME_SUFFIX = re.compile(r"[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_date(value: str | None) -> date | None:
    """A date from the forms agencies write (ISO, UK day-first, '2012-Jan-21 00:00:00').

    Day-first is assumed for slashed dates, as in every English agency extract. Returns
    ``None`` for anything that is not a real calendar date.
    """
    if value is None:
        return None
    text = _TIME_SUFFIX.sub("", value.strip())
    if not text:
        return None
    fast = _fast_date(text)
    if fast is not None:
        return fast if 1900 <= fast.year <= 2100 else None
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
        if 1900 <= parsed.year <= 2100:
            return parsed
    return None


def _fast_date(text: str) -> date | None:
    """The common shapes without strptime (ingestion parses millions of dates)."""
    ymd: tuple[int, int, int] | None = None
    if match := _ISO.match(text):
        ymd = (int(match[1]), int(match[2]), int(match[3]))
    elif match := _UK.match(text):
        ymd = (int(match[3]), int(match[2]), int(match[1]))
    elif (match := _ISO_MONTH_NAME.match(text)) and match[2].upper() in _MONTHS:
        ymd = (int(match[1]), _MONTHS[match[2].upper()], int(match[3]))
    if ymd is None:
        return None
    try:
        return date(*ymd)
    except ValueError:
        return None


def swapped_day_month(value: date) -> date | None:
    """The date with day and month swapped, when that is a different real date."""
    if value.day > 12 or value.day == value.month:
        return None
    return value.replace(day=value.month, month=value.day)
