"""The synthetic council's data-sharing agreements: one per partner source it writes (schools,
health, police, early help), with the lawful bases such agreements really use.

Written as ``OUT/agreements.yaml`` by ``synthesise``; load it with
``wholechild agreements load OUT/agreements.yaml`` before ingesting the partner extracts.
Open-ended, reviewed every few years: the dates are fixed, so the same seed gives the same file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Final

import yaml

from wholechild.synth.model import LA_CODE

FILE: Final = "agreements.yaml"
COUNCIL: Final = f"Synthetic Council (LA {LA_CODE})"

_HEADER: Final = """\
# Data-sharing agreements for the synthetic council's partner sources (see
# docs/governance/agreements.md). Written by `wholechild synth`; load them with
#   wholechild agreements load agreements.yaml
# before ingesting the school census, health, police and early-help extracts.
"""

_PUBLIC_TASK: Final = "Art. 6(1)(e) public task"
_SUBSTANTIAL_PUBLIC_INTEREST: Final = "Art. 9(2)(g) substantial public interest"
_SAFEGUARDING: Final = "Sch.1 Pt.2 para 18: safeguarding of children and individuals at risk"

AGREEMENTS: Final[list[dict[str, Any]]] = [
    {
        "ref": "DSA-SYN-SCHOOLS-01",
        "title": "Schools census and safeguarding information sharing",
        "parties": [COUNCIL, "Synthetic Schools Partnership"],
        "source_systems": ["school_census"],
        "partner_category": "education",
        "purposes": ["safeguarding_enquiry"],
        "categories": ["education", "early_help"],
        "lawful_basis": _PUBLIC_TASK,
        "special_category_condition": _SUBSTANTIAL_PUBLIC_INTEREST,
        "schedule1_condition": _SAFEGUARDING,
        "start_date": date(2023, 4, 1),
        "end_date": None,
        "review_date": date(2028, 3, 31),
    },
    {
        "ref": "DSA-SYN-HEALTH-01",
        "title": "Child health information sharing for safeguarding",
        "parties": [COUNCIL, "Synthetic Community Health NHS Trust"],
        "source_systems": ["synthetic_child_health_system"],
        "partner_category": "health",
        "purposes": ["safeguarding_enquiry"],
        "categories": ["health", "social_care"],
        "lawful_basis": _PUBLIC_TASK,
        "special_category_condition": "Art. 9(2)(h) health or social care",
        "schedule1_condition": "Sch.1 Pt.1 para 2: health or social care purposes",
        "start_date": date(2023, 4, 1),
        "end_date": None,
        "review_date": date(2028, 3, 31),
    },
    {
        "ref": "DSA-SYN-POLICE-01",
        "title": "Police child protection notifications",
        "parties": [COUNCIL, "Synthetic Constabulary"],
        "source_systems": ["synthetic_police_encompass"],
        "partner_category": "police",
        "purposes": ["safeguarding_enquiry"],
        "categories": ["police", "social_care"],
        "lawful_basis": _PUBLIC_TASK,
        "special_category_condition": _SUBSTANTIAL_PUBLIC_INTEREST,
        "schedule1_condition": _SAFEGUARDING,
        "start_date": date(2023, 4, 1),
        "end_date": None,
        "review_date": date(2028, 3, 31),
    },
    {
        "ref": "DSA-SYN-EARLYHELP-01",
        "title": "Early help partnership information sharing",
        "parties": [COUNCIL, "Synthetic Family Hubs Partnership"],
        "source_systems": ["synthetic_early_help_module"],
        "partner_category": "early_help",
        "purposes": ["early_help_assessment"],
        "categories": ["early_help", "education", "send", "social_care"],
        "lawful_basis": _PUBLIC_TASK,
        "special_category_condition": _SUBSTANTIAL_PUBLIC_INTEREST,
        "schedule1_condition": _SAFEGUARDING,
        "start_date": date(2023, 4, 1),
        "end_date": None,
        "review_date": date(2028, 3, 31),
    },
]


def agreements_yaml() -> str:
    """The agreements as YAML (the format ``wholechild agreements load`` reads)."""
    body = yaml.safe_dump(
        {"agreements": AGREEMENTS}, sort_keys=False, allow_unicode=True, width=100
    )
    return _HEADER + body


def write_agreements(out_dir: Path) -> Path:
    path = out_dir / FILE
    path.write_text(agreements_yaml(), encoding="utf-8")
    return path
