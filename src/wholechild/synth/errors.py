"""How each agency's records go wrong: documented error rates and the corruptions themselves.

Every rate here is a probability per record. Conditional rates say what they are conditional
on (a stale surname can only happen to a child whose surname changed). Each corruption applied
to a record is returned as a flag and written to the ground truth, so that an evaluation can
count them, and a test can check that observed rates match these documented ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from wholechild.synth.model import Child
from wholechild.synth.names import name_variants

_NEIGHBOURS: Final = {
    "a": "esq", "e": "wrd", "i": "uok", "o": "ipl", "u": "yio", "n": "bmh", "m": "nj",
    "r": "etf", "s": "adz", "t": "ryg", "l": "kp", "h": "gjn", "y": "tuh", "k": "jl",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ErrorRates:
    """Per-record error rates for one agency's extract, and why each is plausible."""

    forename_typo: float = 0.0
    surname_typo: float = 0.0
    forename_variant: float = 0.0  # of names with a known variant or a known-as name
    dob_error: float = 0.0  # day/month swapped where possible, else a slipped day or year
    dob_missing: float = 0.0
    stale_surname: float = 0.0  # of children whose surname changed
    stale_address: float = 0.0  # of children whose household moved in the last three years
    postcode_missing: float = 0.0
    id_missing: float = 0.0  # the agency's main national identifier left blank
    id_error: float = 0.0  # a wrong identifier: bad UPN check letter, transposed NHS digits
    why: str = ""


ERROR_RATES: Final[dict[str, ErrorRates]] = {
    "school_census": ErrorRates(
        0.003,
        0.003,
        0.0,
        0.002,
        0.0,
        0.15,
        0.0,
        0.01,
        0.0,
        0.002,
        why="Names and DOB come from birth certificates checked at admission and are validated by "
        "the DfE collection software, so typos are rare; UPNs are carried by common transfer "
        "files and checked, but a hand-keyed UPN occasionally slips through. Schools update a "
        "legal surname only when a parent brings evidence, so changed surnames lag.",
    ),
    "cin_census": ErrorRates(
        0.0,
        0.0,
        0.0,
        0.003,
        0.0,
        0.0,
        0.0,
        0.0,
        0.05,
        0.005,
        why="No names are returned. The UPN is looked up by hand in the education system and is "
        "often missing for children not yet matched; DOB is keyed from the referral.",
    ),
    "ssda903": ErrorRates(
        0.0,
        0.0,
        0.0,
        0.002,
        0.0,
        0.0,
        0.0,
        0.0,
        0.04,
        0.005,
        why="Looked-after children's records are scrutinised by IROs and DfE validation, so DOB "
        "errors are very rare; the UPN still goes missing for some children.",
    ),
    "sen2": ErrorRates(
        0.005,
        0.005,
        0.02,
        0.003,
        0.0,
        0.1,
        0.08,
        0.01,
        0.04,
        0.005,
        why="SEND case systems are keyed from request forms written by parents and schools, "
        "which sometimes use a known-as name; addresses are updated at annual review only.",
    ),
    "health": ErrorRates(
        0.01,
        0.01,
        0.04,
        0.005,
        0.002,
        0.3,
        0.25,
        0.02,
        0.05,
        0.003,
        why="NHS numbers are traced against the Personal Demographics Service, so ~95% are "
        "present; missing ones are new arrivals and unregistered children, and a number "
        "re-keyed by hand can transpose two digits. Families rarely tell the GP or the child "
        "health system when they move or change surname, so addresses and surnames go stale.",
    ),
    "police": ErrorRates(
        0.12,
        0.12,
        0.2,
        0.05,
        0.4,
        0.5,
        0.1,
        0.15,
        0.0,
        0.0,
        why="Operation Encompass notifications are taken at the scene of a domestic incident, "
        "often at night, from an adult, and spelled by ear: names are misspelt or given as "
        "nicknames, a date of birth is often unknown (an age is recorded instead), and the "
        "child's surname is often assumed to be the adult's.",
    ),
    "early_help": ErrorRates(
        0.02,
        0.02,
        0.1,
        0.01,
        0.01,
        0.2,
        0.1,
        0.03,
        0.3,
        0.0,
        why="Early help is consent-based work keyed by many practitioners from family-completed "
        "forms; workers use the name the child is known by, and the social-care id is only "
        "present where the family is already on the LA's case system.",
    ),
}
"""The documented error rates, per agency (also written to ``truth/error_rates.md``)."""


def typo(rng: random.Random, name: str) -> str:
    """A keying slip: drop, double, swap or mistype one letter. Always changes the name."""
    if len(name) < 3:
        return name + name[-1]
    pos = rng.randrange(1, len(name) - 1)
    op = rng.randrange(4)
    if op == 0:
        out = name[:pos] + name[pos + 1 :]
    elif op == 1:
        out = name[:pos] + name[pos] + name[pos:]
    elif op == 2 and name[pos] != name[pos + 1]:
        out = name[:pos] + name[pos + 1] + name[pos] + name[pos + 2 :]
    else:
        choices = _NEIGHBOURS.get(name[pos].lower(), "aeiou")
        out = name[:pos] + rng.choice([c for c in choices if c != name[pos]]) + name[pos + 1 :]
    return out if out != name else name[:pos] + name[pos + 1 :]


def wrong_dob(rng: random.Random, dob: date) -> date:
    """Day and month swapped when that makes another real date, else a slipped day or year."""
    if dob.day <= 12 and dob.day != dob.month:
        try:
            return date(dob.year, dob.day, dob.month)
        except ValueError:
            pass
    if rng.random() < 0.5:
        return dob + timedelta(days=rng.choice((-1, 1)))
    return dob.replace(year=dob.year + rng.choice((-1, 1)), day=min(dob.day, 28))


def transpose_digits(rng: random.Random, number: str) -> str:
    """Two adjacent unequal digits swapped (the commonest hand-keying error in long numbers)."""
    spots = [i for i in range(3, len(number) - 1) if number[i] != number[i + 1]]
    i = rng.choice(spots) if spots else len(number) - 2
    return number[:i] + number[i + 1] + number[i] + number[i + 2 :]


def bad_upn(rng: random.Random, upn: str) -> str:
    """A UPN with one body digit mistyped, so its check letter no longer fits."""
    i = rng.randrange(4, 13)
    digit = str((int(upn[i]) + rng.randint(1, 9)) % 10) if upn[i].isdigit() else upn[i]
    return upn[:i] + digit + upn[i + 1 :]


class Corruptor:
    """Applies one agency's error rates to a child's details, collecting flags as it goes."""

    def __init__(self, rng: random.Random, rates: ErrorRates) -> None:
        self.rng = rng
        self.rates = rates
        self.flags: list[str] = []

    def take_flags(self) -> str:
        flags, self.flags = ";".join(self.flags), []
        return flags

    def _hit(self, rate: float, flag: str) -> bool:
        if rate > 0.0 and self.rng.random() < rate:
            self.flags.append(flag)
            return True
        return False

    def forename(self, child: Child) -> str:
        name = child.forename
        variants = ((child.known_as,) if child.known_as else ()) + name_variants(name)
        if variants and self._hit(self.rates.forename_variant, "forename_variant"):
            name = self.rng.choice(variants)
        if self._hit(self.rates.forename_typo, "forename_typo"):
            name = typo(self.rng, name)
        return name

    def surname(self, child: Child, as_of: date) -> str:
        name = child.surname_on(as_of)
        changed = name == child.surname and child.former_surname
        if changed and self._hit(self.rates.stale_surname, "stale_surname"):
            name = child.former_surname
        if self._hit(self.rates.surname_typo, "surname_typo"):
            name = typo(self.rng, name)
        return name

    def dob(self, child: Child) -> date | None:
        if self._hit(self.rates.dob_missing, "dob_missing"):
            return None
        if self._hit(self.rates.dob_error, "dob_error"):
            return wrong_dob(self.rng, child.dob)
        return child.dob

    def address(self, child: Child, as_of: date) -> tuple[str, str]:
        """(address line, postcode) as the agency holds them on a date."""
        addresses = child.household.addresses
        current = child.household.address_on(as_of)
        index = addresses.index(current)
        recent = (as_of - current.moved_in).days < 3 * 365
        if index > 0 and recent and self._hit(self.rates.stale_address, "stale_address"):
            current = addresses[index - 1]
        if self._hit(self.rates.postcode_missing, "postcode_missing"):
            return current.line, ""
        return current.line, current.postcode

    def nhs_number(self, child: Child) -> str:
        if self._hit(self.rates.id_missing, "id_missing"):
            return ""
        if self._hit(self.rates.id_error, "id_error"):
            return transpose_digits(self.rng, child.nhs_number)
        return child.nhs_number

    def upn(self, child: Child) -> str:
        if not child.upn or self._hit(self.rates.id_missing, "id_missing"):
            return ""
        if self._hit(self.rates.id_error, "id_error"):
            return bad_upn(self.rng, child.upn)
        return child.upn

    def blank_id(self, value: str) -> str:
        """A local identifier, left blank at the agency's ``id_missing`` rate."""
        if not value or self._hit(self.rates.id_missing, "id_missing"):
            return ""
        return value
