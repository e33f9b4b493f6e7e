"""Name standardisation for linkage, as a table a caseworker can read."""

from __future__ import annotations

import pytest

from wholechild.linkage.names import first_name_key, given_name_keys, phonetic, surname_keys


@pytest.mark.parametrize(
    ("left", "right", "why"),
    [
        ("Mohammed", "Muhammad", "transliterations of one name share a group"),
        ("Alex", "Aleksander", "a short form shares a group with the full name"),
        ("Seun", "Oluwaseun", "a Yoruba name and its short form"),
        ("Liz", "Elizabeth", "an English nickname"),
    ],
)
def test_variants_share_a_first_name_key(left: str, right: str, why: str) -> None:
    assert first_name_key(left) == first_name_key(right), why


def test_unrelated_names_do_not_share_a_key() -> None:
    assert first_name_key("Oliver") != first_name_key("Harry")


def test_a_middle_name_used_day_to_day_is_a_shared_given_name() -> None:
    full = set(given_name_keys("Muhammad", "Bilal"))
    known_as = set(given_name_keys("Bilal", None))
    assert "BILAL" in full & known_as


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Smith-Jones", None, None), ("Jones", None, None)),
        (("O'Brien", None, None), ("OBrien", None, None)),
        (("Kowalski", "Nowak", None), ("Nowak", None, None)),  # former surname
    ],
)
def test_surnames_compare_whole_by_part_and_former(
    a: tuple[str | None, ...], b: tuple[str | None, ...]
) -> None:
    assert set(surname_keys(*a)) & set(surname_keys(*b))


def test_double_barrelled_is_kept_whole_as_well() -> None:
    assert surname_keys("Smith-Jones", None, None)[0] == "SMITHJONES"


def test_names_spelt_by_ear_sound_the_same() -> None:
    assert phonetic("Ciaran") == phonetic("Kieran") or phonetic("Smith") == phonetic("Smyth")
    assert phonetic(None) is None
