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


def _agreement(
    ref: str, title: str, *, partner: str, source_system: str, partner_category: str,
    purpose: str, categories: list[str], condition: str = _SUBSTANTIAL_PUBLIC_INTEREST,
    schedule1: str = _SAFEGUARDING,
) -> dict[str, Any]:  # fmt: skip
    """An agreement with one partner for one source system: public task, open-ended from
    April 2023, reviewed by March 2028 (as ``wholechild agreements load`` reads it)."""
    return {
        "ref": ref, "title": title, "parties": [COUNCIL, partner],
        "source_systems": [source_system], "partner_category": partner_category,
        "purposes": [purpose], "categories": categories, "lawful_basis": _PUBLIC_TASK,
        "special_category_condition": condition, "schedule1_condition": schedule1,
        "start_date": date(2023, 4, 1), "end_date": None, "review_date": date(2028, 3, 31),
    }  # fmt: skip


AGREEMENTS: Final[list[dict[str, Any]]] = [
    _agreement(
        "DSA-SYN-SCHOOLS-01", "Schools census and safeguarding information sharing",
        partner="Synthetic Schools Partnership", source_system="school_census",
        partner_category="education", purpose="safeguarding_enquiry",
        categories=["education", "early_help"],
    ),
    _agreement(
        "DSA-SYN-HEALTH-01", "Child health information sharing for safeguarding",
        partner="Synthetic Community Health NHS Trust",
        source_system="synthetic_child_health_system", partner_category="health",
        purpose="safeguarding_enquiry", categories=["health", "social_care"],
        condition="Art. 9(2)(h) health or social care",
        schedule1="Sch.1 Pt.1 para 2: health or social care purposes",
    ),
    _agreement(
        "DSA-SYN-POLICE-01", "Police child protection notifications",
        partner="Synthetic Constabulary", source_system="synthetic_police_encompass",
        partner_category="police", purpose="safeguarding_enquiry",
        categories=["police", "social_care"],
    ),
    _agreement(
        "DSA-SYN-EARLYHELP-01", "Early help partnership information sharing",
        partner="Synthetic Family Hubs Partnership",
        source_system="synthetic_early_help_module", partner_category="early_help",
        purpose="early_help_assessment",
        categories=["early_help", "education", "send", "social_care"],
    ),
]  # fmt: skip


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
