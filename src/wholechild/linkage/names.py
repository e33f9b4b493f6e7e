"""Name standardisation for comparison: forename groups, surname parts, phonetic codes."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jellyfish

from wholechild.core.normalise import name_parts, normalise_name


@lru_cache(maxsize=1)
def forename_groups() -> dict[str, tuple[int, ...]]:
    """Each normalised forename -> the ids of the variant groups it belongs to."""
    text = (
        resources.files("wholechild.linkage")
        .joinpath("data/forename_groups.txt")
        .read_text(encoding="utf-8")
    )
    groups: dict[str, set[int]] = {}
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    for group_id, line in enumerate(lines):
        for name in line.split():
            key = normalise_name(name)
            if key:
                groups.setdefault(key, set()).add(group_id)
    return {name: tuple(sorted(ids)) for name, ids in groups.items()}


@lru_cache(maxsize=200_000)
def given_name_keys(forename: str | None, middle_names: str | None) -> tuple[str, ...]:
    """Comparable keys for every given name: the name itself and its variant groups.

    'Muhammad Bilal' -> ('MUHAMMAD', 'BILAL', 'G0', ...): a record that uses the middle name
    day to day, or a nickname, still shares a key with the full record.
    """
    groups = forename_groups()
    keys: list[str] = []
    for part in (*name_parts(forename), *name_parts(middle_names)):
        keys.append(part)
        keys.extend(f"G{g}" for g in groups.get(part, ()))
    return tuple(dict.fromkeys(keys))


@lru_cache(maxsize=200_000)
def first_name_key(forename: str | None) -> str | None:
    """The first given name, or its first variant group when it has one ('MOHAMED' -> 'G0')."""
    parts = name_parts(forename)
    if not parts:
        return None
    groups = forename_groups().get(parts[0])
    return f"G{groups[0]}" if groups else parts[0]


@lru_cache(maxsize=200_000)
def surname_keys(*surnames: str | None) -> tuple[str, ...]:
    """Every surname a record carries, whole and by part ('SMITH-JONES', 'SMITH', 'JONES')."""
    keys: list[str] = []
    for surname in surnames:
        whole = normalise_name(surname)
        if whole:
            keys.append(_squash(whole))
            keys.extend(_squash(p) for p in name_parts(surname) if len(p) > 1)
    return tuple(dict.fromkeys(keys))


def _squash(name: str) -> str:
    """'O'BRIEN' and 'OBRIEN', 'MC DONALD' and 'MCDONALD' compare equal."""
    return name.replace(" ", "").replace("-", "").replace("'", "")


@lru_cache(maxsize=200_000)
def phonetic(value: str | None) -> str | None:
    """A Metaphone code for a normalised name, for blocking on names spelt by ear."""
    name = normalise_name(value)
    if not name:
        return None
    code = jellyfish.metaphone(name.replace("-", " ").replace("'", "").split(" ")[0])
    return code or None
