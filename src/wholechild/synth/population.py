"""Draw the true population: households, their addresses and circumstances, and children.

One ``random.Random`` drives it all, in a fixed order, so a seed gives the same council.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from typing import Final

from wholechild.synth import names
from wholechild.synth.ids import NhsNumbers, Ulns, Upns, table_id
from wholechild.synth.model import (
    LA_CODE,
    REFERENCE_DATE,
    Address,
    Child,
    Enrolment,
    Household,
    Population,
    School,
)

_FAMILY_SIZE: Final = {1: 0.38, 2: 0.38, 3: 0.16, 4: 0.06, 5: 0.02}
_TWIN_RATE: Final = 0.016  # twin births per birth (England and Wales: about 1.5 in 100)
_OLDEST_DOB: Final = REFERENCE_DATE - timedelta(days=365 * 19 - 5)
_BASE_LOGIT: Final = {
    "domestic_abuse": -2.7,
    "parental_mental_health": -2.1,
    "parental_substance_misuse": -3.1,
    "neglect": -3.9,
}
_SEN_TYPES: Final = {
    "SLCN": 0.23, "ASD": 0.2, "SEMH": 0.2, "MLD": 0.12, "SPLD": 0.1, "OTH": 0.04, "PD": 0.03,
    "SLD": 0.03, "HI": 0.015, "VI": 0.01, "PMLD": 0.01, "MSI": 0.005,
}  # fmt: skip
CENSUS_DAY: Final = date(2024, 10, 3)  # autumn 2024 school census day
_YEAR_START: Final = date(2024, 8, 31)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _day_between(rng: random.Random, start: date, end: date) -> date:
    span = (end - start).days
    return start + timedelta(days=rng.randint(0, max(span, 0)))


def _postcode(rng: random.Random, district: int) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"  # inward-code letters (no C, I, K, M, O, V)
    return f"WH{district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def _address(rng: random.Random, moved_in: date, districts: int) -> Address:
    book = names.name_book()
    line = f"{rng.randint(1, 180)} {rng.choice(book.streets)} {rng.choice(book.street_kinds)}"
    return Address(line, _postcode(rng, rng.randint(1, districts)), moved_in)


def _risks(rng: random.Random) -> tuple[dict[str, float], frozenset[str]]:
    """Latent household circumstances: each a true probability, then whether it holds."""
    vulnerability = rng.gauss(0.0, 1.0)
    risks = {"poverty": _sigmoid(-1.1 + 1.1 * vulnerability)}
    poor = rng.random() < risks["poverty"]
    held = {"poverty"} if poor else set()
    for adversity, base in _BASE_LOGIT.items():
        extra = 0.7 * poor + 0.8 * ("parental_substance_misuse" in held)
        extra += 0.6 * ("parental_mental_health" in held) if adversity == "neglect" else 0.0
        risks[adversity] = _sigmoid(base + 1.0 * vulnerability + extra)
        if rng.random() < risks[adversity]:
            held.add(adversity)
    return risks, frozenset(held)


def _moves(rng: random.Random, household: Household, since: date, districts: int) -> None:
    """Families under strain move more: 0.1 moves a year, more with each adversity."""
    rate = 0.06 + 0.08 * len(household.adversities)
    years = (REFERENCE_DATE - since).days / 365.25
    count = sum(rng.random() < rate for _ in range(int(years) + 1))
    dates = sorted(_day_between(rng, since, REFERENCE_DATE) for _ in range(count))
    household.addresses.extend(_address(rng, when, districts) for when in dates)


def _birth_dates(rng: random.Random, size: int) -> list[tuple[date, bool]]:
    """Birth dates, oldest first, with a twin flag on the second of a pair."""
    first = _day_between(rng, _OLDEST_DOB, REFERENCE_DATE)
    births: list[tuple[date, bool]] = []
    when = first
    while len(births) < size and when <= REFERENCE_DATE:
        births.append((when, False))
        if len(births) < size and rng.random() < _TWIN_RATE * 1.5:  # families of 2+ hold more twins
            births.append((when, True))
        when += timedelta(days=rng.randint(450, 1800))
    return births


class PopulationBuilder:
    """Builds households and children until the wanted number of children exists."""

    def __init__(self, rng: random.Random, wanted: int) -> None:
        self.rng = rng
        self.wanted = wanted
        self.districts = max(4, min(40, wanted // 2500))
        self.nhs = NhsNumbers(rng, wanted)
        self.upns = Upns(LA_CODE)
        self.ulns = Ulns(rng)
        self.children: list[Child] = []
        self.households: list[Household] = []
        self.schools = _schools(wanted)
        self.pools = {
            phase: [s for s in self.schools if s.phase == phase]
            for phase in ("primary", "secondary")
        }

    def build(self) -> Population:
        while len(self.children) < self.wanted:
            self._household()
        by_id = {child.child_id: child for child in self.children}
        for child in self.children:
            twin = by_id.get(child.twin_of)
            if twin is not None and twin.child_id < child.child_id:
                _same_name_change(child, twin)  # twins' surnames change together
            else:
                _name_change(self.rng, child)
            self._school(child)
        return Population(self.children, self.households, self.schools)

    def _household(self) -> None:
        rng = self.rng
        community = names.pick_community(rng)
        size = rng.choices(list(_FAMILY_SIZE), weights=list(_FAMILY_SIZE.values()))[0]
        births = _birth_dates(rng, min(size, self.wanted - len(self.children)))
        risks, adversities = _risks(rng)
        household = Household(
            f"H{len(self.households) + 1:07d}",
            community,
            names.family_surname(rng, community),
            [_address(rng, births[0][0], self.districts)],
            risks,
            adversities,
        )
        _moves(rng, household, births[0][0], self.districts)
        self.households.append(household)
        father = names.father_forename(rng, community)
        for dob, twin in births:
            self._child(household, dob, father, self.children[-1] if twin else None)

    def _child(self, household: Household, dob: date, father: str, twin: Child | None) -> None:
        rng = self.rng
        sex = rng.choice("MF")
        forename, middle, known_as = names.pick_forenames(rng, household.community, sex)
        if twin is not None and rng.random() < 0.3:  # twins with matching initials
            alike = [n for n in names.name_book().forenames[(household.community, sex)]
                     if n[0] == twin.forename[0] and n != twin.forename]  # fmt: skip
            forename = rng.choice(alike) if alike else forename
        child = Child(
            child_id=f"C{len(self.children) + 1:07d}",
            household=household,
            forename=forename,
            middle_names=middle,
            surname=names.child_surname(rng, household.community, household.surname, sex, father),
            sex=sex,
            dob=dob,
            ethnicity=names.pick_ethnicity(rng, household.community),
            nhs_number=self.nhs.issue(),
            known_as=known_as,
            twin_of=twin.child_id if twin is not None else "",
        )
        if twin is not None:
            twin.twin_of = child.child_id
            child.surname = twin.surname
        _needs(rng, child)
        if child.age_on(REFERENCE_DATE) >= 14:
            child.uln = self.ulns.issue()
        self.children.append(child)

    def _school(self, child: Child) -> None:
        """Enrol school-age children, give them a UPN, and move some between schools."""
        rng = self.rng
        year_age = child.age_on(_YEAR_START)
        if year_age < 4 or year_age > 17 or (year_age >= 16 and rng.random() < 0.55):
            return  # too young, too old, or at a further-education college
        if rng.random() < 0.05:
            return  # independent school, home education, or schooled outside the LA
        pool = self.pools["primary" if year_age <= 10 else "secondary"]
        district = int(child.household.current_address.postcode.split()[0][2:])
        school = pool[district % len(pool)] if rng.random() < 0.8 else rng.choice(pool)
        start = date(child.dob.year + 4 + (child.dob.month >= 9), 9, 1)
        entry = start if year_age <= 10 else date(2024 - (year_age - 11), 9, 1)
        child.upn = self.upns.issue(school.estab, start)
        if rng.random() < 0.008:
            child.former_upn, child.upn = child.upn, self.upns.issue(school.estab, entry)
        moved_recently = child.household.current_address.moved_in > date(2024, 4, 1)
        if rng.random() < 0.02 + 0.3 * moved_recently:
            left = _day_between(rng, date(2024, 5, 24), CENSUS_DAY - timedelta(days=14))
            old = rng.choice(pool)
            child.enrolments.append(Enrolment(old, min(entry, left), left))
            entry = left + timedelta(days=rng.randint(1, 12))
        child.enrolments.append(Enrolment(school, entry))


def _schools(wanted: int) -> list[School]:
    primaries, secondaries = max(3, wanted // 260), max(2, wanted // 1100)
    schools = []
    for index in range(primaries + secondaries):
        phase = "primary" if index < primaries else "secondary"
        estab = f"{(2000 if phase == 'primary' else 4000) + index:04d}"
        schools.append(
            School(
                f"SCH{index + 1}", f"{140000 + index * 7:06d}", estab, phase,
                table_id(index, 500_000_000, 32), table_id(index, 600_000_000, 32),
            )
        )  # fmt: skip
    return schools


def _needs(rng: random.Random, child: Child) -> None:
    """The child's own needs: SEN (and at what level) and disability."""
    vulnerability = 0.8 * len(child.household.adversities)
    child.risks = dict(child.household.risks)
    child.risks["sen"] = _sigmoid(-1.9 + 0.35 * vulnerability + 0.3 * (child.sex == "M"))
    child.risks["disability"] = 0.035
    needs = {n for n in ("sen", "disability") if rng.random() < child.risks[n]}
    if "disability" in needs and rng.random() < 0.6:
        needs.add("sen")
    if "sen" in needs and child.age_on(REFERENCE_DATE) >= 2:
        child.sen_need = rng.choices(list(_SEN_TYPES), weights=list(_SEN_TYPES.values()))[0]
        severe = child.sen_need in {"SLD", "PMLD", "MSI", "ASD"} or "disability" in needs
        child.sen_provision = "E" if rng.random() < (0.5 if severe else 0.14) else "K"
    child.needs = frozenset(needs)


def _name_change(rng: random.Random, child: Child) -> None:
    """Step-families, adoption and (rarely) marriage at 18 change a child's surname."""
    age = child.age_on(REFERENCE_DATE)
    roll = rng.random()
    community = child.household.community
    if roll < 0.03 and age >= 2:
        step = names.family_surname(rng, community)
        new = step if rng.random() < 0.6 else f"{child.surname}-{step}"
        when, reason = _day_between(rng, child.dob + timedelta(days=400), REFERENCE_DATE), "step"
    elif roll < 0.034 and age >= 2:
        new = names.family_surname(rng, rng.choice(list(names.COMMUNITY_WEIGHTS)))
        when = _day_between(rng, child.dob + timedelta(days=300), child.dob + timedelta(days=900))
        reason = "adoption"
    elif roll < 0.05 and age >= 18 and child.sex == "F":
        new = names.family_surname(rng, community)
        when, reason = (
            _day_between(rng, child.dob + timedelta(days=6575), REFERENCE_DATE),
            "marriage",
        )
    else:
        return
    if new != child.surname and when <= REFERENCE_DATE:
        child.former_surname, child.surname = child.surname, new
        child.surname_changed, child.name_change_reason = when, reason


def _same_name_change(child: Child, twin: Child) -> None:
    child.surname, child.former_surname = twin.surname, twin.former_surname
    child.surname_changed, child.name_change_reason = twin.surname_changed, twin.name_change_reason


def build_population(rng: random.Random, children: int) -> Population:
    return PopulationBuilder(rng, children).build()
