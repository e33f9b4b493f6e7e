"""Recording data-sharing agreements in tests: partner files are refused without one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import Engine

from wholechild.actions.agreements import load_agreements, record_agreement
from wholechild.governance.agreements import Agreement, agreements_from_document


def agree(
    engine: Engine,
    *source_systems: str,
    ref: str = "DSA-TEST-01",
    partner: str = "health",
    start: date = date(2020, 4, 1),
    end: date | None = None,
) -> Agreement:
    """Record an agreement under which ``source_systems``' files may arrive (in force from
    ``start`` to ``end``, open-ended by default)."""
    agreement = Agreement(
        ref=ref,
        title="Test data-sharing agreement",
        parties=("Test Council", "Test Partner"),
        source_systems=tuple(source_systems),
        partner_category=partner,
        purposes=("safeguarding_enquiry",),
        categories=(partner, "social_care"),
        lawful_basis="6(1)(e)",
        special_category_condition="9(2)(g)",
        schedule1_condition="Sch.1 Pt.2 para 18",
        start_date=start,
        end_date=end,
        review_date=None if end is not None else date(2099, 3, 31),
    )
    return record_agreement(engine, agreement=agreement, actor="test", purpose="records_management")


def load_council_agreements(engine: Engine, council: Path) -> None:
    """Record the agreements a synthetic council's ``agreements.yaml`` declares."""
    path = council / "agreements.yaml"
    agreements, problems = agreements_from_document(yaml.safe_load(path.read_text()), path.name)
    assert not problems, problems
    load_agreements(engine, agreements=agreements, actor="test", purpose="records_management")


def agreement_yaml(*source_systems: str, ref: str = "DSA-TEST-01") -> str:
    """A file for ``wholechild agreements load``: one open-ended health agreement covering
    ``source_systems``."""
    entry = {
        "ref": ref,
        "title": "Test data-sharing agreement",
        "parties": ["Test Council", "Test Partner"],
        "source_systems": list(source_systems),
        "partner_category": "health",
        "purposes": ["safeguarding_enquiry"],
        "categories": ["health", "social_care"],
        "lawful_basis": "6(1)(e)",
        "special_category_condition": "9(2)(h)",
        "schedule1_condition": "Sch.1 Pt.1 para 2",
        "start_date": "2020-04-01",
        "review_date": "2099-03-31",
    }
    return yaml.safe_dump({"agreements": [entry]})
