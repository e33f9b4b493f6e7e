"""An age on a date, read as the window of dates of birth it allows.

Some sources hold a child's age rather than a date of birth: a police notification records the
child's age at the incident. A child aged N (whole years) on a day was born no later than the
day N years before it, and after the day N+1 years before it. A child born on 29 February is a
year older on 1 March in other years (as in English law), so stepping back from 29 February to
a year without one lands on 28 February.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

# Children's services work with young people up to 25 (SEND, care leavers).
MAX_AGE: Final = 25


@dataclass(frozen=True, slots=True)
class DobWindow:
    """The possible dates of birth, both ends included."""

    earliest: date
    latest: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.earliest <= day <= self.latest


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier; 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def dob_window(age: int, on: date) -> DobWindow:
    """The dates of birth of a child aged ``age`` whole years on ``on``."""
    if not 0 <= age <= MAX_AGE:
        raise ValueError(f"age must be 0 to {MAX_AGE}")
    return DobWindow(
        earliest=years_before(on, age + 1) + timedelta(days=1),
        latest=years_before(on, age),
    )


def age_on(dob: date, day: date) -> int:
    """Age in whole years on ``day`` (the plain reference the window is tested against)."""
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
