"""An age on a date as a window of dates of birth (core/age.py), checked against a plain
reference: every date of birth lies in the window of its own age, and in no other."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholechild.core.age import MAX_AGE, DobWindow, age_on, dob_window

WINDOWS = [
    # (age, on, earliest, latest, why)
    (10, date(2024, 6, 1), date(2013, 6, 2), date(2014, 6, 1), "an ordinary day"),
    (0, date(2024, 6, 1), date(2023, 6, 2), date(2024, 6, 1), "a baby: born in the last year"),
    (3, date(2024, 2, 29), date(2020, 3, 1), date(2021, 2, 28), "29 Feb: a year without one"),
    (4, date(2024, 2, 29), date(2019, 3, 1), date(2020, 2, 29), "29 Feb: four years back"),
    (4, date(2025, 2, 28), date(2020, 2, 29), date(2021, 2, 28), "born 29 Feb: 4 until 1 March"),
    (5, date(2025, 3, 1), date(2019, 3, 2), date(2020, 3, 1), "the day after 28 Feb"),
]


@pytest.mark.parametrize(("age", "on", "earliest", "latest", "why"), WINDOWS)
def test_window_of_an_age(age: int, on: date, earliest: date, latest: date, why: str) -> None:
    assert dob_window(age, on) == DobWindow(earliest, latest), why


def test_a_child_born_on_29_february_is_four_on_28_february_2025() -> None:
    assert age_on(date(2020, 2, 29), date(2025, 2, 28)) == 4
    assert date(2020, 2, 29) in dob_window(4, date(2025, 2, 28))
    assert date(2020, 2, 29) not in dob_window(5, date(2025, 2, 28))


@pytest.mark.parametrize("age", [-1, MAX_AGE + 1])
def test_an_age_outside_childhood_is_refused(age: int) -> None:
    with pytest.raises(ValueError, match="age"):
        dob_window(age, date(2024, 1, 1))


@given(
    dob=st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(min_value=0, max_value=(MAX_AGE + 1) * 366),
)
def test_a_date_of_birth_lies_in_its_own_ages_window_and_no_other(dob: date, days: int) -> None:
    on = date.fromordinal(dob.toordinal() + days)
    age = age_on(dob, on)
    if age > MAX_AGE:
        return
    assert dob in dob_window(age, on)
    for other in (age - 1, age + 1):
        if 0 <= other <= MAX_AGE:
            assert dob not in dob_window(other, on)
