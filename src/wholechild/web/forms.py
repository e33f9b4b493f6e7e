"""Reading what people type into forms and query strings: every problem collected and
reported together (``InvalidInputError``), never a half-understood request."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from wholechild.core.access import Purpose
from wholechild.web.problems import FieldProblem, InvalidInputError

_DMY: Final = re.compile(r"^\s*(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})\s*$")
_ISO: Final = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


class Problems:
    """Problems found so far; ``check`` raises them all at once."""

    def __init__(self) -> None:
        self.found: list[FieldProblem] = []

    def add(self, field: str, message: str) -> None:
        self.found.append(FieldProblem(field=field, message=message))

    def check(self) -> None:
        if self.found:
            raise InvalidInputError(self.found)


def parse_date(value: str | None, field: str, label: str, problems: Problems) -> date | None:
    """A date as 2024-03-27 or 27/3/2024; empty is None."""
    if value is None or not value.strip():
        return None
    iso, dmy = _ISO.match(value), _DMY.match(value)
    parts = (
        (int(iso[1]), int(iso[2]), int(iso[3]))
        if iso
        else (int(dmy[3]), int(dmy[2]), int(dmy[1]))
        if dmy
        else None
    )
    try:
        if parts is None:
            raise ValueError
        return date(*parts)
    except ValueError:
        problems.add(field, f"{label} must be a real date, for example 27/3/2024")
        return None


def parse_date_parts(
    day: str, month: str, year: str, field: str, label: str, problems: Problems
) -> date | None:
    """A GOV.UK date input (day, month, year); all empty is None."""
    if not (day.strip() or month.strip() or year.strip()):
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        problems.add(field, f"{label} must be a real date, for example 27 3 2014")
        return None


def parse_purpose(
    value: str | None, problems: Problems, *, field: str = "purpose"
) -> Purpose | None:
    """A purpose of access; empty is None (the access policy then says one is needed)."""
    if value is None or not value.strip():
        return None
    try:
        return Purpose(value.strip())
    except ValueError:
        problems.add(field, "Choose a purpose of access from the list")
        return None
