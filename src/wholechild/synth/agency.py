"""Agency extracts with no national format (health, police, early help), each with its
column mapping (``docs/mapping.md``) written beside it as ``<stem>.mapping.yaml``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from wholechild.synth.errors import ERROR_RATES, Corruptor
from wholechild.synth.model import REFERENCE_DATE, Child, Population
from wholechild.synth.ssda903 import uk_date
from wholechild.synth.truth import TruthLog, csv_out

HEALTH_FILE: Final = "health_extract.csv"
POLICE_FILE: Final = "police_notifications.csv"
EARLY_HELP_FILE: Final = "early_help.csv"
HEALTH_HEADER: Final = (
    "PatientID", "NHSNumber", "GivenName", "FamilyName", "DOB", "Gender", "Postcode",
    "AddressLine", "ContactDate", "ContactType", "Service", "Outcome",
)  # fmt: skip
POLICE_HEADER: Final = (
    "NotificationRef", "PersonRef", "IncidentDate", "NotificationType", "ChildForename",
    "ChildSurname", "DOB", "AgeAtIncident", "Address", "Postcode", "NotifiedTo",
)  # fmt: skip
EARLY_HELP_HEADER: Final = (
    "EHCaseID", "PersonID", "LAChildID", "Forename", "Surname", "DOB", "Gender", "Ethnicity",
    "Postcode", "Address", "EpisodeStart", "EpisodeEnd", "PresentingNeed", "LeadProfessional",
    "ClosureReason",
)  # fmt: skip
_NEEDS: Final = {
    "domestic_abuse": "DOMESTIC_ABUSE", "parental_mental_health": "PARENTAL_MENTAL_HEALTH",
    "parental_substance_misuse": "PARENTAL_SUBSTANCE_MISUSE", "poverty": "FINANCIAL_HARDSHIP",
    "neglect": "NEGLECT_CONCERNS", "sen": "SEND", "disability": "SEND",
}  # fmt: skip
_OTHER_NEEDS: Final = ("SCHOOL_ATTENDANCE", "CHILD_BEHAVIOUR", "PARENTING_SUPPORT", "HOUSING")
_ACUTE: Final = {"neglect": 0.5, "parental_substance_misuse": 0.4, "domestic_abuse": 0.3}


def _when(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: cheap for the small means used here."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _health_contacts(rng: random.Random, child: Child) -> list[tuple[date, str, str, str]]:
    """(date, contact type, service, outcome): routine contacts plus those adversity brings."""
    since = max(child.dob, REFERENCE_DATE - timedelta(days=3 * 365))
    age, held = child.age_on(REFERENCE_DATE), child.circumstances
    kinds: list[tuple[str, str, str]] = []
    if age < 5:
        kinds += [("HV_REVIEW", "Health visiting", "Seen")] * (1 + _poisson(rng, 0.8))
    elif rng.random() < 0.35:
        kinds.append(("SCHOOL_NURSE", "School nursing", "Seen"))
    acute = 0.25 + sum(rate for key, rate in _ACUTE.items() if key in held)
    for _ in range(_poisson(rng, acute)):
        outcome = rng.choice(("Discharged", "Admitted", "Referred to GP"))
        kinds.append(("AE_ATTENDANCE", "Emergency department", outcome))
    if "parental_mental_health" in held and rng.random() < 0.4:
        kinds.append(("PARENT_MH_FLAG", "Perinatal and family mental health", "Noted"))
    if held & {"sen", "disability"} and rng.random() < 0.6:
        kinds.append(("PAEDIATRIC_REVIEW", "Community paediatrics", "Follow-up"))
    if rng.random() < 0.5:
        kinds.append(("GP_CONSULTATION", "General practice", "Seen"))
    return sorted((_when(rng, since, REFERENCE_DATE), *kind) for kind in kinds)


def write_health(
    rng: random.Random, out_dir: Path, population: Population, truth: TruthLog
) -> None:
    errors = Corruptor(rng, ERROR_RATES["health"])
    with csv_out(out_dir / HEALTH_FILE, HEALTH_HEADER) as writer:
        for child in population.children:
            contacts = _health_contacts(rng, child)
            if not contacts:
                continue
            dob = errors.dob(child)
            line, postcode = errors.address(child, REFERENCE_DATE)
            identity = (
                f"RHX{child.child_id[1:]}", errors.nhs_number(child), errors.forename(child),
                errors.surname(child, REFERENCE_DATE), dob.isoformat() if dob else "",
                "Male" if child.sex == "M" else "Female", postcode, line,
            )  # fmt: skip
            flags = errors.take_flags()
            for when, kind, service, outcome in contacts:
                writer.writerow((*identity, when.isoformat(), kind, service, outcome))
                truth.add(HEALTH_FILE, identity[0], child.child_id, flags)
    (out_dir / "health_extract.mapping.yaml").write_text(HEALTH_MAPPING, encoding="utf-8")


def _incidents(rng: random.Random, population: Population) -> dict[str, list[date]]:
    """Domestic abuse incidents the police attended, by household."""
    start = REFERENCE_DATE - timedelta(days=2 * 365)
    incidents = {}
    for household in population.households:
        mean = 1.6 if "domestic_abuse" in household.adversities else 0.004
        count = _poisson(rng, mean)
        if count:
            dates = sorted(_when(rng, start, REFERENCE_DATE) for _ in range(count))
            incidents[household.household_id] = dates
    return incidents


def write_police(
    rng: random.Random, out_dir: Path, population: Population, truth: TruthLog
) -> None:
    errors = Corruptor(rng, ERROR_RATES["police"])
    incidents = _incidents(rng, population)
    counter = 0
    with csv_out(out_dir / POLICE_FILE, POLICE_HEADER) as writer:
        for child in population.children:
            for when in incidents.get(child.household.household_id, ()):
                if when < child.dob:
                    continue
                counter += 1
                surname = errors.surname(child, when)
                if child.surname != child.household.surname and rng.random() < 0.3:
                    surname = child.household.surname
                    errors.flags.append("carer_surname")
                dob = errors.dob(child)
                line, postcode = errors.address(child, when)
                ref = f"OE{when.year}-{counter:06d}"
                writer.writerow((
                    ref, f"PN{child.child_id[1:]}" if rng.random() < 0.6 else "", uk_date(when),
                    "Operation Encompass - domestic abuse", errors.forename(child), surname,
                    uk_date(dob), child.age_on(when), line, postcode,
                    "School" if child.enrolments else "Health visitor",
                ))  # fmt: skip
                truth.add(POLICE_FILE, ref, child.child_id, errors.take_flags())
    (out_dir / "police_notifications.mapping.yaml").write_text(POLICE_MAPPING, encoding="utf-8")


@dataclass(slots=True)
class EarlyHelpEpisode:
    start: date
    end: date | None
    need: str
    lead: str


def early_help_for(rng: random.Random, child: Child) -> list[EarlyHelpEpisode]:
    """Early help episodes in the last three years, from the family's circumstances."""
    held = child.circumstances
    chance = 1.0 / (1.0 + math.exp(3.7 - 0.85 * len(held)))
    if rng.random() >= chance:
        return []
    since = max(child.dob, REFERENCE_DATE - timedelta(days=3 * 365))
    episodes = []
    for _ in range(1 + (rng.random() < 0.2)):
        start = _when(rng, since, REFERENCE_DATE)
        end = start + timedelta(days=rng.randint(60, 300))
        true_needs = [_NEEDS[h] for h in sorted(held) if h in _NEEDS]
        need = (
            rng.choice(true_needs)
            if true_needs and rng.random() < 0.75
            else rng.choice(_OTHER_NEEDS)
        )
        lead = rng.choice(("Family support worker", "School", "Health visitor", "Youth worker"))
        episodes.append(EarlyHelpEpisode(start, end if end <= REFERENCE_DATE else None, need, lead))
    return sorted(episodes, key=lambda e: e.start)


def write_early_help(
    rng: random.Random, out_dir: Path, population: Population,
    episodes: Mapping[str, list[EarlyHelpEpisode]], truth: TruthLog,
) -> None:  # fmt: skip
    errors = Corruptor(rng, ERROR_RATES["early_help"])
    counter = 0
    with csv_out(out_dir / EARLY_HELP_FILE, EARLY_HELP_HEADER) as writer:
        for child in population.children:
            for episode in episodes.get(child.child_id, ()):
                counter += 1
                case_id = f"EH{counter:07d}"
                dob = errors.dob(child)
                line, postcode = errors.address(child, episode.start)
                la_id = errors.blank_id(child.la_child_id)
                writer.writerow((
                    case_id, f"EHP{child.child_id[1:]}", la_id, errors.forename(child),
                    errors.surname(child, episode.start), uk_date(dob), child.sex,
                    child.ethnicity, postcode, line, uk_date(episode.start),
                    uk_date(episode.end), episode.need, episode.lead,
                    "Step down to universal services" if episode.end else "",
                ))  # fmt: skip
                truth.add(EARLY_HELP_FILE, case_id, child.child_id, errors.take_flags())
    (out_dir / "early_help.mapping.yaml").write_text(EARLY_HELP_MAPPING, encoding="utf-8")


HEALTH_MAPPING: Final = """\
# Column mapping for health_extract.csv (see docs/mapping.md). Written by `wholechild synth`.
source_system: synthetic_child_health_system
agency: health
record:
  source_key: PatientID
  nhs_number: NHSNumber
  forename: GivenName
  surname: FamilyName
  date_of_birth: DOB
  sex: Gender
  postcode: Postcode
  address_line: AddressLine
events:
  - event_type: health_contact
    start_date: ContactDate
    end_date: null
    code: ContactType
    details: [Service, Outcome]
"""
POLICE_MAPPING: Final = """\
# Column mapping for police_notifications.csv (see docs/mapping.md). Written by `wholechild synth`.
# Notifications often carry an age instead of a date of birth: the age on the incident date
# gives linkage a window of possible dates of birth (and AgeAtIncident is kept in details).
# The source key is the police system's person reference for the child (blank when the child
# was not matched to a police person record); the notification's own reference is an event detail.
source_system: synthetic_police_encompass
agency: police
record:
  source_key: PersonRef
  police_ref: PersonRef
  forename: ChildForename
  surname: ChildSurname
  date_of_birth: DOB
  age: AgeAtIncident
  age_on: IncidentDate
  postcode: Postcode
  address_line: Address
events:
  - event_type: police_notification
    start_date: IncidentDate
    end_date: null
    code: NotificationType
    details: [NotificationRef, AgeAtIncident, NotifiedTo]
"""
EARLY_HELP_MAPPING: Final = """\
# Column mapping for early_help.csv (see docs/mapping.md). Written by `wholechild synth`.
source_system: synthetic_early_help_module
agency: early_help
record:
  source_key: PersonID
  la_child_id: LAChildID
  forename: Forename
  surname: Surname
  date_of_birth: DOB
  sex: Gender
  ethnicity: Ethnicity
  postcode: Postcode
  address_line: Address
events:
  - event_type: early_help_episode
    start_date: EpisodeStart
    end_date: EpisodeEnd
    code: PresentingNeed
    details: [EHCaseID, LeadProfessional, ClosureReason]
"""
