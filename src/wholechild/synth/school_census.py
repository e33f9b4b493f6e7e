"""The autumn school census, as the LA receives it from its schools' MIS returns (CSV tables).

Tables join on ``pupilonrolltableid`` (``pupilnolongeronrolltableid`` for leavers);
``NativeId`` is the school. Headers are exactly those of the published sample extracts.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any, Final

from wholechild.synth.errors import ERROR_RATES, Corruptor
from wholechild.synth.ids import table_id
from wholechild.synth.model import Child, Enrolment, Population
from wholechild.synth.population import CENSUS_DAY
from wholechild.synth.truth import TruthLog, csv_out

ON_ROLL_HEADER: Final = (
    "pupilonrolltableid",
    "NativeId",
    "dob",
    "surname",
    "forename",
    "middlenames",
    "preferredsurname",
    "formersurname",
    "upn",
    "formerupn",
    "uniquelearnernumber",
    "sex",
    "entrydate",
    "pupilonrollorderseqcolumn",
    "sourceid",
    "schoolcensustableid",
    "hoursatsetting",
    "schoollunchtaken",
    "parttime",
    "topupfunding",
    "termlysessionspossible",
    "termlysessionsauthorised",
    "termlysessionsunauthorised",
    "senunitindicator",
    "resourcedprovisionindicator",
    "nonqualhrs",
    "ftemp",
    "qualhrs",
    "qualhrspreviousyear",
    "nonqualhrspreviousyear",
    "tlevelqualhrs",
    "tlevelnonqualhrs",
    "moveoffrollflag",
    "fundedhours",
    "missingaddress",
    "duplicatenotfunded",
    "summerhalfterm2sessionspossible",
    "extendedhours",
    "eligibilitycode",
    "summerhalfterm2sessionsauthorised",
    "summerhalfterm2sessionsunauthorised",
    "dafindicator",
    "summerhalfterm2sessionseducational",
    "summerhalfterm2sessionsexceptional",
    "summerhalfterm2sessionscoronavirus",
    "yssa",
    "servicechild",
    "language",
    "classtype",
    "enrolstatus",
    "boarder",
    "plaa",
    "senprovision",
    "ncyearactual",
    "mathsgcsehighestpriorattainment",
    "mathsgcsepriorattainmentyear11",
    "englishgcsehighestpriorattainment",
    "englishgcsepriorattainmentyear11",
    "mathsgcsefundingexemption",
    "englishgcsefundingexemption",
    "mathsgcsehighestpriorattainmentpreviousyear",
    "englishgcsehighestpriorattainmentpreviousyear",
    "eyppr",
    "eyppbf",
)
OFF_ROLL_HEADER: Final = (
    "pupilnolongeronrolltableid",
    "NativeId",
    "dob",
    "surname",
    "forename",
    "middlenames",
    "preferredsurname",
    "formersurname",
    "upn",
    "formerupn",
    "uniquelearnernumber",
    "sex",
    "entrydate",
    "leavingdate",
    "pupilnolongeronrollorderseqcolumn",
    "sourceid",
    "schoolcensustableid",
    "parttime",
    "termlysessionspossible",
    "termlysessionsauthorised",
    "termlysessionsunauthorised",
    "moveonrollflag",
    "missingaddress",
    "summerhalfterm2sessionsauthorised",
    "summerhalfterm2sessionspossible",
    "summerhalfterm2sessionsunauthorised",
    "qualhrs",
    "qualhrspreviousyear",
    "nonqualhrspreviousyear",
    "tlevelqualhrs",
    "tlevelnonqualhrs",
    "nonqualhrs",
    "summerhalfterm2sessionseducational",
    "summerhalfterm2sessionsexceptional",
    "summerhalfterm2sessionscoronavirus",
    "boarder",
    "language",
    "ncyearleaving",
    "mathsgcsehighestpriorattainment",
    "mathsgcsepriorattainmentyear11",
    "englishgcsehighestpriorattainment",
    "englishgcsepriorattainmentyear11",
    "mathsgcsefundingexemption",
    "englishgcsefundingexemption",
    "mathsgcsehighestpriorattainmentpreviousyear",
    "englishgcsehighestpriorattainmentpreviousyear",
)
EXCLUSIONS_HEADER: Final = (
    "pupilonrolltableid", "NativeId", "termlyexclusionsonrolltableid",
    "termlyexclusionsonrollorderseqcolumn", "sourceid", "startdate", "sessions", "reason1",
    "reason2", "reason3", "category", "senprovision",
)  # fmt: skip
SEN_NEEDS_HEADER: Final = (
    "pupilonrolltableid", "NativeId", "senneedstableid", "senneedsorderseqcolumn", "sourceid",
    "sentyperank", "sentype",
)  # fmt: skip
ADDRESSES_HEADER: Final = (
    "pupilnolongeronrolltableid", "NativeId", "addressesoffrolltableid",
    "addressesoffrollorderseqcolumn", "sourceid", "uniquepropertyreferencenumber", "postcode",
)  # fmt: skip
FILES: Final = {
    "on_roll": "school_census_pupilonroll.csv",
    "off_roll": "school_census_pupilnolongeronroll.csv",
    "exclusions": "school_census_termlyexclusionsonroll.csv",
    "sen_needs": "school_census_senneeds.csv",
    "addresses": "school_census_addressesoffroll.csv",
}
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_ENGLISH_HOME: Final = frozenset({"british", "irish", "traveller", "caribbean"})
_ON: Final = {name: i for i, name in enumerate(ON_ROLL_HEADER)}
_OFF: Final = {name: i for i, name in enumerate(OFF_ROLL_HEADER)}


def census_date(value: date | None) -> str:
    """The census extract's date form: '2012-Jan-21 00:00:00'."""
    if value is None:
        return ""
    return f"{value.year}-{_MONTHS[value.month - 1]}-{value.day:02d} 00:00:00"


def nc_year(child: Child) -> str:
    year = child.age_on(date(2024, 8, 31)) - 4
    return "R" if year == 0 else str(year)


class SchoolCensusWriter:
    """Writes the five census tables, one pupil at a time."""

    def __init__(self, rng: random.Random, out_dir: Path, truth: TruthLog) -> None:
        self.rng = rng
        self.out_dir = out_dir
        self.truth = truth
        self.errors = Corruptor(rng, ERROR_RATES["school_census"])
        self.counter = 0
        self.writers: dict[str, Any] = {}

    def write(self, population: Population) -> None:
        headers = {"on_roll": ON_ROLL_HEADER, "off_roll": OFF_ROLL_HEADER,
                   "exclusions": EXCLUSIONS_HEADER, "sen_needs": SEN_NEEDS_HEADER,
                   "addresses": ADDRESSES_HEADER}  # fmt: skip
        with (
            csv_out(self.out_dir / FILES["on_roll"], ON_ROLL_HEADER) as on_roll,
            csv_out(self.out_dir / FILES["off_roll"], OFF_ROLL_HEADER) as off_roll,
            csv_out(self.out_dir / FILES["exclusions"], EXCLUSIONS_HEADER) as exclusions,
            csv_out(self.out_dir / FILES["sen_needs"], SEN_NEEDS_HEADER) as sen_needs,
            csv_out(self.out_dir / FILES["addresses"], ADDRESSES_HEADER) as addresses,
        ):
            self.writers = dict(zip(headers, (on_roll, off_roll, exclusions, sen_needs, addresses),
                                    strict=True))  # fmt: skip
            for child in population.children:
                for enrolment in child.enrolments:
                    self._pupil(child, enrolment)

    def _identity(self, child: Child, enrolment: Enrolment, index: dict[str, int]) -> list[str]:
        row = [""] * len(index)
        row[index["NativeId"]] = enrolment.school.school_id
        row[index["dob"]] = census_date(self.errors.dob(child))
        row[index["surname"]] = surname = self.errors.surname(child, CENSUS_DAY)
        row[index["forename"]] = self.errors.forename(child)
        row[index["middlenames"]] = child.middle_names
        former = child.former_surname if surname == child.surname else ""
        row[index["formersurname"]] = former
        row[index["upn"]] = self.errors.upn(child)
        row[index["formerupn"]] = child.former_upn
        row[index["uniquelearnernumber"]] = child.uln
        row[index["sex"]] = child.sex
        row[index["entrydate"]] = census_date(enrolment.entry_date)
        row[index["sourceid"]] = enrolment.school.source_id
        row[index["schoolcensustableid"]] = enrolment.school.census_table_id
        row[index["parttime"]] = "False"
        row[index["boarder"]] = "N"
        home = child.household.community in _ENGLISH_HOME
        row[index["language"]] = "ENG" if home or self.rng.random() < 0.3 else "OTB"
        return row

    def _pupil(self, child: Child, enrolment: Enrolment) -> None:
        self.counter += 1
        key = table_id(self.counter, 100_000_000)
        school = enrolment.school
        if enrolment.leaving_date is not None:
            row = self._identity(child, enrolment, _OFF)
            row[0], row[_OFF["leavingdate"]] = key, census_date(enrolment.leaving_date)
            row[_OFF["pupilnolongeronrollorderseqcolumn"]] = "1"
            row[_OFF["ncyearleaving"]] = nc_year(child)
            self.writers["off_roll"].writerow(row)
            self.truth.add(FILES["off_roll"], key, child.child_id, self.errors.take_flags())
            self._address_off_roll(child, key, school.school_id, school.source_id)
            return
        row = self._identity(child, enrolment, _ON)
        row[0], row[_ON["pupilonrollorderseqcolumn"]] = key, "1"
        row[_ON["enrolstatus"]], row[_ON["senprovision"]] = "C", child.sen_provision
        row[_ON["ncyearactual"]] = nc_year(child)
        row[_ON["schoollunchtaken"]] = "True" if self.rng.random() < 0.8 else "False"
        row[_ON["termlysessionspossible"]] = str(self.rng.randint(110, 134)) + ".0"
        self.writers["on_roll"].writerow(row)
        self.truth.add(FILES["on_roll"], key, child.child_id, self.errors.take_flags())
        self._sen_needs(child, key, school.school_id, school.source_id)
        self._exclusions(child, key, school.school_id, school.source_id)

    def _sen_needs(self, child: Child, key: str, school_id: str, source: str) -> None:
        if child.sen_provision == "N" or not child.sen_need:
            return
        needs = [child.sen_need]
        if self.rng.random() < 0.25:
            second = self.rng.choice(("SLCN", "SEMH", "MLD", "SPLD", "ASD"))
            needs += [second] if second != child.sen_need else []
        for rank, need in enumerate(needs, start=1):
            self.counter += 1
            need_key = table_id(self.counter, 200_000_000, 32)
            self.writers["sen_needs"].writerow(
                (key, school_id, need_key, rank, source, f"{rank}.0", need)
            )
            self.truth.add(FILES["sen_needs"], need_key, child.child_id)

    def _exclusions(self, child: Child, key: str, school_id: str, source: str) -> None:
        held = child.circumstances
        chance = 0.01 + 0.05 * (child.sen_need == "SEMH") + 0.015 * len(held)
        if child.age_on(CENSUS_DAY) < 7 or self.rng.random() >= chance:
            return
        for order in range(1, self.rng.randint(1, 3) + 1):
            self.counter += 1
            ex_key = table_id(self.counter, 300_000_000, 32)
            start = date(2024, self.rng.choice((4, 5, 6, 7)), self.rng.randint(1, 28))
            category = "PERM" if self.rng.random() < 0.03 else "FIXD"
            reason = self.rng.choice(("PP", "PA", "VE", "BU", "SM", "RA", "DM", "DA", "MT"))
            self.writers["exclusions"].writerow((
                key, school_id, ex_key, order, source, census_date(start),
                f"{self.rng.randint(1, 10)}.0", reason, "", "", category, child.sen_provision,
            ))  # fmt: skip
            self.truth.add(FILES["exclusions"], ex_key, child.child_id)

    def _address_off_roll(self, child: Child, key: str, school_id: str, source: str) -> None:
        self.counter += 1
        address_key = table_id(self.counter, 400_000_000, 32)
        _, postcode = self.errors.address(child, CENSUS_DAY)
        self.writers["addresses"].writerow((key, school_id, address_key, 1, source, "", postcode))
        self.truth.add(FILES["addresses"], address_key, child.child_id, self.errors.take_flags())
