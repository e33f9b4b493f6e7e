"""Names as the communities an English council serves give them.

The lists live in ``data/`` as small text files written for this project. A naming community
decides the forename and surname lists, the ethnicity codes its children are usually recorded
with, and its conventions (Polish feminine surname forms, Somali patronymic surnames, Sikh
Singh/Kaur, "Muhammad" as a first name with the second name used day to day, Chinese given
names written joined or split).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

COMMUNITY_WEIGHTS: Final[dict[str, float]] = {
    "british": 0.62, "irish": 0.02, "traveller": 0.01, "polish": 0.05, "romanian": 0.04,
    "pakistani": 0.07, "indian": 0.05, "bangladeshi": 0.03, "nigerian": 0.03,
    "ghanaian": 0.015, "caribbean": 0.03, "somali": 0.015, "arabic": 0.01, "chinese": 0.015,
}  # fmt: skip
"""Share of households by naming community: a mid-sized, fairly diverse English council."""

ETHNICITY_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "british": {"WBRI": 0.93, "MWBC": 0.02, "MWAS": 0.01, "MOTH": 0.01, "NOBT": 0.02, "REFU": 0.01},
    "irish": {"WIRI": 0.85, "WBRI": 0.12, "NOBT": 0.03},
    "traveller": {"WIRT": 0.85, "WROM": 0.05, "WBRI": 0.05, "REFU": 0.05},
    "polish": {"WOTH": 0.96, "NOBT": 0.04},
    "romanian": {"WOTH": 0.72, "WROM": 0.24, "NOBT": 0.04},
    "pakistani": {"APKN": 0.94, "AOTH": 0.03, "NOBT": 0.03},
    "indian": {"AIND": 0.95, "AOTH": 0.03, "NOBT": 0.02},
    "bangladeshi": {"ABAN": 0.95, "AOTH": 0.03, "NOBT": 0.02},
    "nigerian": {"BAFR": 0.92, "MWBA": 0.04, "BOTH": 0.04},
    "ghanaian": {"BAFR": 0.92, "MWBA": 0.04, "BOTH": 0.04},
    "caribbean": {"BCRB": 0.68, "MWBC": 0.26, "BOTH": 0.06},
    "somali": {"BAFR": 0.86, "BOTH": 0.1, "NOBT": 0.04},
    "arabic": {"OOTH": 0.7, "AOTH": 0.12, "WOTH": 0.12, "NOBT": 0.06},
    "chinese": {"CHNE": 0.9, "MOTH": 0.05, "AOTH": 0.05},
}
"""DfE ethnicity codes as a community's children are recorded (parents choose, some refuse)."""

ENGLISH_FIRST_NAME_SHARE: Final[dict[str, float]] = {
    "nigerian": 0.3, "ghanaian": 0.35, "chinese": 0.25, "caribbean": 0.0, "polish": 0.05,
}  # fmt: skip
"""Share of children given an English forename (with a heritage middle name)."""

_PATRONYMIC: Final = frozenset({"somali"})
_MUSLIM_FIRST: Final = frozenset({"pakistani", "bangladeshi", "somali", "arabic"})
_DIACRITICS: Final = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻăâîșțĂÂÎȘȚ", "acelnoszzACELNOSZZaaistAAIST")


@dataclass(frozen=True, slots=True)
class NameBook:
    """The name lists, loaded once."""

    forenames: dict[tuple[str, str], tuple[str, ...]]
    surnames: dict[str, tuple[str, ...]]
    variants: dict[str, tuple[str, ...]]
    streets: tuple[str, ...]
    street_kinds: tuple[str, ...]


def _data_lines(name: str) -> list[str]:
    text = resources.files("wholechild.synth").joinpath("data").joinpath(name).read_text("utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.replace("_", " ") for word in text.split())


@cache
def name_book() -> NameBook:
    forenames: dict[tuple[str, str], tuple[str, ...]] = {}
    for line in _data_lines("forenames.txt"):
        key, names = line.split(":", 1)
        community, sex = key.split()
        forenames[(community, sex)] = _words(names)
    surnames = {}
    for line in _data_lines("surnames.txt"):
        community, names = line.split(":", 1)
        surnames[community.strip()] = _words(names)
    variants = {}
    for line in _data_lines("variants.txt"):
        name, others = line.split(":", 1)
        variants[name.strip()] = tuple(v for v in _words(others) if v != name.strip())
    streets, kinds = "\n".join(_data_lines("streets.txt")).split("|")
    return NameBook(forenames, surnames, variants, tuple(streets.split()), tuple(kinds.split()))


def strip_diacritics(name: str) -> str:
    return name.translate(_DIACRITICS)


def name_variants(name: str) -> tuple[str, ...]:
    """Other ways an agency may record this forename (nickname, transliteration, no accents)."""
    found = name_book().variants.get(name, ())
    plain = strip_diacritics(name)
    return (*found, plain) if plain != name and plain not in found else found


def pick_community(rng: random.Random) -> str:
    return rng.choices(list(COMMUNITY_WEIGHTS), weights=list(COMMUNITY_WEIGHTS.values()))[0]


def pick_ethnicity(rng: random.Random, community: str) -> str:
    weights = ETHNICITY_WEIGHTS[community]
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def family_surname(rng: random.Random, community: str) -> str:
    """A household's surname; a few British families have a double-barrelled one."""
    surnames = name_book().surnames[community]
    first = rng.choice(surnames)
    if community == "british" and rng.random() < 0.02:
        return f"{first}-{rng.choice(surnames)}"
    return first


def child_surname(rng: random.Random, community: str, family: str, sex: str, father: str) -> str:
    """The surname a child is registered with, by the community's convention.

    Polish daughters take the feminine form (Kowalski -> Kowalska); Somali children take the
    father's forename; some British children of unmarried parents get both parents' names.
    """
    if community in _PATRONYMIC:
        return father
    if community == "polish" and sex == "F" and family.endswith("ski"):
        return family[:-3] + "ska"
    if community == "british" and "-" not in family and rng.random() < 0.04:
        other = rng.choice(name_book().surnames["british"])
        return f"{family}-{other}" if other != family else family
    return family


def pick_forenames(rng: random.Random, community: str, sex: str) -> tuple[str, str, str]:
    """(forename, middle names, known-as) for a child of this community and sex."""
    book = name_book().forenames
    heritage = book[(community, sex)]
    if rng.random() < ENGLISH_FIRST_NAME_SHARE.get(community, 0.0):
        english = rng.choice(book[("british", sex)])
        return english, rng.choice(heritage), ""
    forename = rng.choice(heritage)
    if community in _MUSLIM_FIRST and sex == "M" and rng.random() < 0.3:
        middle = rng.choice(heritage)
        return "Muhammad", middle, middle
    if community == "indian" and rng.random() < 0.3:
        return forename, "Singh" if sex == "M" else "Kaur", ""
    middle = rng.choice(heritage) if rng.random() < 0.6 else ""
    return forename, middle if middle != forename else "", _known_as(rng, forename)


def _known_as(rng: random.Random, forename: str) -> str:
    variants = name_book().variants.get(forename, ())
    if variants and rng.random() < 0.25:
        return variants[0] if len(variants[0]) < len(forename) else ""
    return ""


def father_forename(rng: random.Random, community: str) -> str:
    return rng.choice(name_book().forenames[(community, "M")])
