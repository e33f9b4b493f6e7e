"""The true population a synthetic council is drawn from: households, children, addresses.

Plain data, no I/O. Everything an extract writes is derived from these objects (and then,
agency by agency, corrupted by :mod:`wholechild.synth.errors`); the ground truth in
``truth/`` is these objects written out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final

REFERENCE_DATE: Final = date(2025, 3, 31)
"""Ages, open episodes and 'current' addresses are all as at this date."""

LA_CODE: Final = "990"
"""A fictional three-digit local-authority code (used in UPNs and the XML headers)."""

ADVERSITIES: Final = (
    "poverty",
    "domestic_abuse",
    "parental_mental_health",
    "parental_substance_misuse",
    "neglect",
)
"""Household circumstances: latent, never written to an extract, only inferred from events."""

CHILD_NEEDS: Final = ("sen", "disability")
"""Circumstances of the child: also latent, and drive SEN support, EHCPs and health contacts."""


@dataclass(slots=True)
class Address:
    """One address a household lived at, from ``moved_in`` until the next one."""

    line: str
    postcode: str
    moved_in: date


@dataclass(slots=True)
class Household:
    household_id: str
    community: str
    surname: str
    addresses: list[Address]
    risks: dict[str, float]
    adversities: frozenset[str]

    def address_on(self, when: date) -> Address:
        """The address the household lived at on a date (the first one before it began)."""
        current = self.addresses[0]
        for address in self.addresses:
            if address.moved_in <= when:
                current = address
        return current

    @property
    def current_address(self) -> Address:
        return self.addresses[-1]


@dataclass(slots=True)
class School:
    school_id: str  # the census NativeId, e.g. "SCH12"
    urn: str  # six digits
    estab: str  # four-digit DfE establishment number (in UPNs)
    phase: str  # "primary" | "secondary"
    source_id: str
    census_table_id: str


@dataclass(slots=True)
class Enrolment:
    school: School
    entry_date: date
    leaving_date: date | None = None


@dataclass(slots=True)
class Child:
    """One true child. ``surname`` is the current legal surname."""

    child_id: str
    household: Household
    forename: str
    middle_names: str
    surname: str
    sex: str  # "M" | "F"
    dob: date
    ethnicity: str
    nhs_number: str
    known_as: str = ""  # the forename used day to day, when not the legal one
    former_surname: str = ""
    surname_changed: date | None = None
    name_change_reason: str = ""
    twin_of: str = ""
    upn: str = ""
    former_upn: str = ""
    uln: str = ""
    la_child_id: str = ""
    sen_need: str = ""  # SEN need type code when the child has SEN
    sen_provision: str = "N"  # N none, K SEN support, E EHC plan
    risks: dict[str, float] = field(default_factory=dict)
    needs: frozenset[str] = frozenset()
    enrolments: list[Enrolment] = field(default_factory=list)

    @property
    def circumstances(self) -> frozenset[str]:
        """Household adversities and the child's own needs together."""
        return self.household.adversities | self.needs

    def age_on(self, when: date) -> int:
        years = when.year - self.dob.year
        return years - 1 if (when.month, when.day) < (self.dob.month, self.dob.day) else years

    def surname_on(self, when: date) -> str:
        """The legal surname on a date: the former one before a change."""
        if self.surname_changed is not None and when < self.surname_changed:
            return self.former_surname
        return self.surname


@dataclass(slots=True)
class Population:
    children: list[Child]
    households: list[Household]
    schools: list[School]
