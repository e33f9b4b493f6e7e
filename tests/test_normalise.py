"""Normalisers for names, postcodes and dates: examples and properties."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholechild.core.normalise import (
    name_parts,
    normalise_name,
    normalise_postcode,
    parse_date,
    postcode_outward,
    swapped_day_month,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  zoë  o’brien ", "ZOE O'BRIEN"),
        ("Smith - Jones", "SMITH-JONES"),
        ("Łukasz", "LUKASZ"),
        ("Nguyễn", "NGUYEN"),
        ("ANNE-MARIE", "ANNE-MARIE"),
        ("Al-Hassan", "AL-HASSAN"),
        ("123", None),
        ("", None),
        (None, None),
    ],
)
def test_names(raw: str | None, expected: str | None) -> None:
    assert normalise_name(raw) == expected


def test_double_barrelled_surname_kept_whole_and_in_parts() -> None:
    assert normalise_name("Smith-Jones") == "SMITH-JONES"
    assert name_parts("Smith-Jones") == ("SMITH", "JONES")
    assert name_parts("van der Berg") == ("VAN", "DER", "BERG")


@given(st.text(max_size=40))
def test_name_normalisation_is_idempotent_and_clean(raw: str) -> None:
    once = normalise_name(raw)
    assert normalise_name(once) == once
    if once is not None:
        assert once == once.strip(" -'")
        assert set(once) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ '-")
        assert "  " not in once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        (" SW1A  1AA ", "SW1A 1AA"),
        ("m1 1ae", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("SW1A OAA", "SW1A 0AA"),  # letter O keyed for zero in the inward digit
        ("NOT A POSTCODE", None),
        ("", None),
    ],
)
def test_postcodes(raw: str, expected: str | None) -> None:
    assert normalise_postcode(raw) == expected


def test_outward_code() -> None:
    assert postcode_outward("sw1a 1aa") == "SW1A"
    assert postcode_outward("LS6") == "LS6"
    assert postcode_outward("nonsense") is None


@given(st.text(max_size=12))
def test_postcode_normalisation_is_idempotent(raw: str) -> None:
    once = normalise_postcode(raw)
    assert normalise_postcode(once) == once
    if once is not None:
        outward, inward = once.split(" ")
        assert 2 <= len(outward) <= 4 and len(inward) == 3


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2015-03-27", date(2015, 3, 27)),
        ("27/03/2015", date(2015, 3, 27)),
        ("2012-Jan-21 00:00:00", date(2012, 1, 21)),
        ("2023-05-23T11:14:05", date(2023, 5, 23)),
        ("31/02/2015", None),
        ("tomorrow", None),
        ("", None),
    ],
)
def test_dates(raw: str, expected: date | None) -> None:
    assert parse_date(raw) == expected


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_date_round_trips_through_every_written_form(value: date) -> None:
    for written in (
        value.isoformat(),
        value.strftime("%d/%m/%Y"),
        value.strftime("%Y-%b-%d 00:00:00"),
    ):
        assert parse_date(written) == value


@given(st.text(max_size=30))
def test_parse_date_is_total(raw: str) -> None:
    result = parse_date(raw)
    assert result is None or isinstance(result, date)


@given(st.dates())
def test_day_month_swap_is_an_involution(value: date) -> None:
    swapped = swapped_day_month(value)
    if swapped is not None:
        assert swapped != value
        assert swapped_day_month(swapped) == value
