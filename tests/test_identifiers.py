"""Check digits for UPN, ULN and NHS number: worked examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholechild.core.identifiers import (
    UPN_ALPHABET,
    IdCheck,
    check_nhs_number,
    check_uln,
    check_upn,
    is_test_nhs_number,
    nhs_check_digit,
    uln_check_digit,
    upn_check_letter,
    upn_unknown_code,
)

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)
upn_bodies = st.text(alphabet="0123456789", min_size=12, max_size=12) | st.builds(
    lambda d, c: d + c,
    st.text(alphabet="0123456789", min_size=11, max_size=11),
    st.sampled_from(UPN_ALPHABET),
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9990000018", IdCheck.VALID),  # 9*10+9*9+9*8+0..+1*2 = 245; 245 % 11 = 3; 11-3 = 8
        ("999 000 0018", IdCheck.VALID),
        ("9990000017", IdCheck.BAD_CHECK),
        ("999000001", IdCheck.BAD_SHAPE),
        ("", IdCheck.MISSING),
        (None, IdCheck.MISSING),
    ],
)
def test_nhs_number_examples(value: str | None, expected: IdCheck) -> None:
    assert check_nhs_number(value) is expected


def test_uln_worked_example() -> None:
    # 0000000042: the first nine weighted 10..2 sum to 8; 10 - 8 = 2.
    assert check_uln("0000000042") is IdCheck.VALID
    assert check_uln("0000000043") is IdCheck.BAD_CHECK
    assert check_uln("00000000A2") is IdCheck.BAD_SHAPE


def test_upn_worked_example() -> None:
    # Body 801200001001: weights 2..13 give 2*8+4*1+5*2+10*1+13*1 = 53; 53 % 23 = 7 -> 'H'.
    assert upn_check_letter("801200001001") == "H"
    assert check_upn("H801200001001") is IdCheck.VALID
    assert check_upn("A801200001001") is IdCheck.BAD_CHECK
    assert check_upn("J80120000100") is IdCheck.BAD_SHAPE
    assert check_upn("A123456789123") is not IdCheck.VALID  # the sample files' fake UPN


@given(nine_digits)
def test_nhs_number_with_its_check_digit_is_valid(first_nine: str) -> None:
    check = nhs_check_digit(first_nine)
    if check is None:
        assert all(check_nhs_number(first_nine + str(d)) is not IdCheck.VALID for d in range(10))
    else:
        assert check_nhs_number(first_nine + str(check)) is IdCheck.VALID


@given(nine_digits, st.integers(0, 9))
def test_nhs_number_single_digit_error_is_caught(first_nine: str, position: int) -> None:
    check = nhs_check_digit(first_nine)
    if check is None:
        return
    valid = first_nine + str(check)
    wrong = str((int(valid[position]) + 1) % 10)
    mutated = valid[:position] + wrong + valid[position + 1 :]
    assert check_nhs_number(mutated) is not IdCheck.VALID


@given(nine_digits)
def test_uln_with_its_check_digit_is_valid(first_nine: str) -> None:
    check = uln_check_digit(first_nine)
    if check is not None:
        assert check_uln(first_nine + str(check)) is IdCheck.VALID
        assert check_uln(first_nine + str((check + 1) % 10)) is IdCheck.BAD_CHECK


@given(upn_bodies)
def test_upn_with_its_check_letter_is_valid(body: str) -> None:
    letter = upn_check_letter(body)
    assert letter in UPN_ALPHABET
    assert check_upn(letter + body) is IdCheck.VALID
    assert check_upn(letter.lower() + body) is IdCheck.VALID
    other = UPN_ALPHABET[(UPN_ALPHABET.index(letter) + 1) % 23]
    assert check_upn(other + body) is IdCheck.BAD_CHECK


@given(upn_bodies, st.integers(1, 11))
def test_upn_single_digit_error_is_caught(body: str, position: int) -> None:
    upn = upn_check_letter(body) + body
    digit = upn[position]
    mutated = upn[:position] + str((int(digit) + 1) % 10) + upn[position + 1 :]
    assert check_upn(mutated) is IdCheck.BAD_CHECK


@given(st.text(max_size=20))
def test_checkers_are_total(value: str) -> None:
    for check in (check_upn, check_uln, check_nhs_number):
        assert check(value) in IdCheck


def test_test_range() -> None:
    assert is_test_nhs_number("999 123 4567")
    assert not is_test_nhs_number("4010232137")


@pytest.mark.parametrize("code", ["UN1", "un4", "UN10"])
def test_upn_unknown_codes_are_reasons_not_bad_upns(code: str) -> None:
    assert upn_unknown_code(code) == code.upper()
    assert check_upn(code) is IdCheck.MISSING


def test_a_real_upn_is_not_an_unknown_code() -> None:
    assert upn_unknown_code("H801200001001") is None
    assert upn_unknown_code("UN11") is None
