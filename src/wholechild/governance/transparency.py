"""Transparency artefacts, generated from the live configuration and measurements.

Pure: ``wholechild.actions.transparency`` reads a :class:`Configuration` from the store, the
settings and the measurement files; here it becomes

- an Algorithmic Transparency Recording Standard (ATRS) record, tier 1 and tier 2, for each
  algorithmic tool: record linkage (:func:`atrs_linkage`) and the EHCP drafting assistant
  (:func:`atrs_drafting`), each with its measured quality and where and when it was measured;
- a data protection impact assessment skeleton (:func:`dpia`) that answers the ICO's screening
  list of processing likely to result in high risk from the configuration, and leaves the
  judgements (consultation, proportionality, sign-off) to the DPO;
- model cards (:func:`model_card_linkage`, :func:`model_card_drafting`).

Each artefact is a plain dict (written as JSON) and the same dict rendered as Markdown
(:func:`to_markdown`), so the two cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from wholechild.core.disclosure import suppress_figure

__all__ = [
    "Configuration",
    "LinkageFacts",
    "Measured",
    "Organisation",
    "atrs_drafting",
    "atrs_linkage",
    "cell",
    "dpia",
    "model_card_drafting",
    "model_card_linkage",
    "screening",
    "to_markdown",
]

NOT_SET: Final = "not set: see docs/governance/transparency.md"
TO_COMPLETE: Final = "TO COMPLETE by the data protection officer"
NOT_MEASURED: Final = "not measured"
LARGE_SCALE_PERSONS: Final = 5000  # a judgement, stated in the DPIA: not an ICO figure


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str | None = None
    website: str | None = None
    contact: str | None = None


@dataclass(frozen=True, slots=True)
class Measured:
    """Figures measured elsewhere, with where they came from and when."""

    figures: dict[str, Any]
    source: str
    measured_at: str | None


@dataclass(frozen=True, slots=True)
class LinkageFacts:
    """The latest linkage model and run, as stored."""

    model_hash: str
    created_at: str
    trained_on_records: int | None
    link_type: str | None
    comparisons: dict[str, list[str]]  # comparison -> its levels
    blocking_rules: list[str]
    thresholds: dict[str, Any]
    run: dict[str, Any] | None  # id, started_at, mode, upper, lower, counts


@dataclass(frozen=True, slots=True)
class Configuration:
    """What the artefacts are generated from (see ``wholechild.actions.transparency``)."""

    organisation: Organisation
    generated_at: datetime
    linkage: LinkageFacts | None
    linkage_quality: Measured | None
    drafting_quality: Measured | None
    rephrasing_model: str | None
    sources: list[dict[str, Any]]  # source_system, agency, category, records
    persons: int
    records: int
    ehcp_cases: int
    addresses: int
    agreements: list[dict[str, Any]]
    sensitivity: dict[str, list[str]]  # class -> table.column
    retention: dict[str, Any] | None  # source, rules
    roles: list[dict[str, str]]
    purposes: list[dict[str, str]]
    disclosure_threshold: int = 10
    notes: list[str] = field(default_factory=list)


def _or(value: Any, default: str = NOT_SET) -> Any:
    return default if value in (None, "", [], {}) else value


def _tier_1(config: Configuration, name: str, description: str, phase: str) -> dict[str, Any]:
    org = config.organisation
    return {
        "name": name,
        "description": description,
        "organisation": _or(org.name),
        "website": _or(org.website),
        "contact_email": _or(org.contact),
        "phase": phase,
        "generated_at": config.generated_at.isoformat(),
    }


# -- linkage ---------------------------------------------------------------------------------

LINKAGE_DESCRIPTION: Final = (
    "Probabilistic record linkage decides which records from different agencies' systems are "
    "about the same child, so that practitioners see one child's records together. Pairs it is "
    "sure of are linked; uncertain pairs go to a person for clerical review; a reviewer's "
    "decision overrides the model on every later run."
)


def _linkage_quality(config: Configuration) -> dict[str, Any]:
    measured = config.linkage_quality
    if measured is None:
        return {"status": NOT_MEASURED, "how_to_measure": "wholechild link evaluate --truth DIR"}
    figures = measured.figures
    overall, clusters = figures.get("overall", {}), figures.get("clusters", {})
    return {
        "source": measured.source,
        "measured_at": _or(measured.measured_at, "unknown"),
        "precision": overall.get("precision"),
        "recall": overall.get("recall"),
        "f1": overall.get("f1"),
        "true_pairs": overall.get("true_pairs"),
        "false_links": overall.get("false_positives"),
        "missed_links": overall.get("false_negatives"),
        "records_measured": clusters.get("records"),
        "exact_match_rate": clusters.get("exact_match_rate"),
        "recall_by_ethnic_group": _groups(figures.get("by_group", []), config),
    }


def _groups(rows: Sequence[Mapping[str, Any]], config: Configuration) -> list[dict[str, Any]]:
    """Recall by group; a group's figures are shown only when it has enough children."""
    threshold = config.disclosure_threshold
    return [
        {
            "group": row.get("group"),
            "children": row["children"] if row.get("children", 0) >= threshold else "suppressed",
            "recall": row.get("recall") if row.get("children", 0) >= threshold else "suppressed",
        }
        for row in rows
    ]


def _linkage_spec(config: Configuration) -> dict[str, Any]:
    facts = config.linkage
    if facts is None:
        return {"status": "no linkage model is stored yet: run `wholechild link`"}
    return {
        "model_type": "Fellegi-Sunter probabilistic record linkage (Splink), "
        f"link type {_or(facts.link_type, 'unknown')}",
        "model_hash": facts.model_hash,
        "model_created_at": facts.created_at,
        "trained_on_records": _or(facts.trained_on_records, "unknown"),
        "comparisons": facts.comparisons,
        "blocking_rules": facts.blocking_rules,
        "thresholds": facts.thresholds,
        "latest_run": _or(facts.run, "no run stored"),
    }


def atrs_linkage(config: Configuration) -> dict[str, Any]:
    """The ATRS record (tiers 1 and 2) for record linkage."""
    phase = "production" if config.linkage and config.linkage.run else "pre-deployment"
    return {
        "standard": "Algorithmic Transparency Recording Standard (tier 1 and tier 2)",
        "tier_1": _tier_1(config, "wholechild record linkage", LINKAGE_DESCRIPTION, phase),
        "tier_2": {
            "owner_and_responsibility": _owner(config),
            "description_and_rationale": {
                "scope": "Source records of children from the council's and its partners' "
                "systems (see data); never used to score or predict risk.",
                "benefit": "A child's history is not hidden because agencies spell a name or "
                "hold a date differently; false links are measured and reviewable.",
                "alternatives_considered": "Exact matching on identifiers (misses children "
                "whose records lack or mistype an identifier; recall is lower).",
            },
            "decision_making_process": _linkage_process(),
            "data": _data(config),
            "technical_specification": _linkage_spec(config),
            "performance": _linkage_quality(config),
            "risks_and_mitigations": LINKAGE_RISKS,
            "impact_assessments": _impact_assessments(config),
        },
    }


def _owner(config: Configuration) -> dict[str, Any]:
    return {
        "organisation": _or(config.organisation.name),
        "senior_responsible_owner": TO_COMPLETE,
        "external_supplier": "none: wholechild is open-source software run by the council",
        "contact": _or(config.organisation.contact),
    }


def _linkage_process() -> dict[str, Any]:
    return {
        "process_integration": "Links decide which records appear together on a child's page.",
        "information_provided": "Each link shows its match probability and each comparison's "
        "contribution; the child's page shows why records are linked.",
        "human_decisions_and_review": "Pairs between the thresholds go to clerical review; "
        "reviewers merge and split; their decisions survive re-linking. No decision about a "
        "child is made by the linkage alone.",
        "appeals_and_review": "A family can ask, through a subject access request, how records "
        "were linked, and ask for a wrong link to be split (rectification).",
    }


LINKAGE_RISKS: Final = [
    {"risk": "false link", "description": "another child's history shown on a child's record",
     "mitigation": "upper threshold set from a labelled sample; clerical review band; split "
     "decisions that survive re-linking; precision measured"},
    {"risk": "missed link", "description": "part of a child's history hidden",
     "mitigation": "several blocking rules; recall and blocking recall measured"},
    {"risk": "unequal error rates", "description": "match rates are known to be lower for "
     "ethnic-minority names", "mitigation": "recall measured by ethnic group (performance); "
     "name-variant and sound-alike comparisons"},
]  # fmt: skip


# -- the drafting assistant ------------------------------------------------------------------

DRAFTING_DESCRIPTION: Final = (
    "The EHCP drafting assistant turns the advice gathered for an EHC needs assessment into a "
    "draft plan (sections A-K). Every drafted sentence is an extract of the advice, or a "
    "provision template filled from it, and cites the words it came from; vague provision is "
    "flagged. A caseworker edits and signs every plan."
)


def _drafting_quality(config: Configuration) -> dict[str, Any]:
    measured = config.drafting_quality
    if measured is None:
        return {"status": NOT_MEASURED,
                "how_to_measure": "wholechild transparency --drafting-cases N"}  # fmt: skip
    return {"source": measured.source, "measured_at": _or(measured.measured_at, "unknown"),
            **measured.figures}  # fmt: skip


def _drafting_spec(config: Configuration) -> dict[str, Any]:
    return {
        "model_type": "rule-based extraction with citations (no machine-learned model)",
        "rephrasing_model": _or(config.rephrasing_model, "none configured: sentences are "
                                "extracts of the advice"),
        "source_check": "every number, frequency, duration, group size, qualification and "
        "name in a drafted or reworded sentence must be in the advice it cites",
    }  # fmt: skip


def atrs_drafting(config: Configuration) -> dict[str, Any]:
    """The ATRS record (tiers 1 and 2) for the EHCP drafting assistant."""
    phase = "production" if config.ehcp_cases else "pre-deployment"
    name = "wholechild EHCP drafting assistant"
    return {
        "standard": "Algorithmic Transparency Recording Standard (tier 1 and tier 2)",
        "tier_1": _tier_1(config, name, DRAFTING_DESCRIPTION, phase),
        "tier_2": {
            "owner_and_responsibility": _owner(config),
            "description_and_rationale": {
                "scope": "Drafting EHC plans from professionals' advice; never deciding "
                "whether to assess, issue or what provision to make.",
                "benefit": "Specific, cited provision (what, who, how often, how long, group "
                "size) drafted faster, with vague advice turned into questions for its author.",
            },
            "decision_making_process": {
                "human_decisions_and_review": "The caseworker edits and signs the plan; the "
                "family responds to the draft; the local authority decides.",
                "appeals_and_review": "Families may appeal a plan to the SEND Tribunal.",
            },
            "data": {
                "inputs": "advice documents (DOCX, PDF, text) for one child",
                "retention": "drafts are written to files; the store keeps none",
            },
            "technical_specification": _drafting_spec(config),
            "performance": _drafting_quality(config),
            "risks_and_mitigations": DRAFTING_RISKS,
            "impact_assessments": _impact_assessments(config),
        },
    }


DRAFTING_RISKS: Final = [
    {"risk": "invented content", "description": "a number, name or frequency not in the advice",
     "mitigation": "source check on every sentence; citations to the exact words"},
    {"risk": "vague provision", "description": "provision that commits to nothing",
     "mitigation": "Section F checker; clarification requests to the advice's author"},
]  # fmt: skip


# -- data and the DPIA -----------------------------------------------------------------------


def _published_sources(config: Configuration) -> list[dict[str, Any]] | str:
    """Records by source, small counts suppressed (these records are published)."""
    threshold = config.disclosure_threshold
    shown = [
        {**s, "records": _or(suppress_figure(int(s["records"]), threshold=threshold),
                             f"fewer than {threshold}")}
        for s in config.sources
    ]  # fmt: skip
    return shown or "no data loaded yet"


def _data(config: Configuration) -> dict[str, Any]:
    return {
        "sources": _published_sources(config),
        "persons": config.persons,
        "source_records": config.records,
        "sensitive_attributes": config.sensitivity.get("special_category", []),
        "data_sharing_agreements": [a["ref"] for a in config.agreements] or "none recorded",
        "collection": "files loaded from each agency's system under its agreement (ingestion "
        "refuses a partner's file with no agreement in force)",
    }


def _impact_assessments(config: Configuration) -> list[dict[str, Any]]:
    met = sum(1 for answer in screening(config) if answer["answer"] == "yes")
    return [{"name": "Data protection impact assessment",
             "description": f"generated skeleton; {met} of 10 ICO screening criteria met",
             "file": "dpia.md"}]  # fmt: skip


def _columns(config: Configuration, pattern: str) -> list[str]:
    every = [c for columns in config.sensitivity.values() for c in columns]
    return [c for c in every if re.search(pattern, c, re.IGNORECASE)]


def _categories(config: Configuration) -> set[str]:
    found = {s["category"] for s in config.sources}
    return found | {c for a in config.agreements for c in a.get("categories", [])}


def _yes(condition: bool) -> str:
    return "yes" if condition else "no"


def screening(config: Configuration) -> list[dict[str, str]]:
    """The ICO's list of processing likely to result in high risk, answered from the
    configuration: each with the answer and the facts it rests on."""
    tools = ["probabilistic record linkage"] if config.linkage else []
    tools += ["a language model rephrasing drafts"] if config.rephrasing_model else []
    systems = len({s["source_system"] for s in config.sources})
    biometric = _columns(config, r"biometric|fingerprint|facial|iris")
    genetic = _columns(config, r"genetic|dna|genom")
    safeguarding = sorted(_categories(config) & {"social_care", "police"})
    special = len(config.sensitivity.get("special_category", []))
    rows = [
        ("Innovative technology", bool(tools), "; ".join(tools) or "no algorithmic tool in use"),
        ("Denial of service", config.ehcp_cases > 0,
         f"{config.ehcp_cases} EHCP cases: the drafting assistant drafts plans that decide "
         "provision (a caseworker signs every plan)"),
        ("Large-scale profiling", systems >= 2 and config.persons >= LARGE_SCALE_PERSONS,
         f"{config.persons} persons combined from {systems} source systems (large scale taken "
         f"as {LARGE_SCALE_PERSONS}+ persons)"),
        ("Biometric data", bool(biometric), ", ".join(biometric) or "no biometric column"),
        ("Genetic data", bool(genetic), ", ".join(genetic) or "no genetic column"),
        ("Data matching", systems >= 2 or config.linkage is not None,
         f"records from {systems} source systems matched into persons"),
        ("Invisible processing", systems > 0,
         f"data obtained from {systems} agencies' systems, not from the child or family"),
        ("Tracking", config.addresses > 0, f"{config.addresses} addresses in address histories"),
        ("Targeting children or other vulnerable individuals", True,
         f"every person is a child or young person; {special} special-category columns"),
        ("Risk of physical harm", bool(safeguarding),
         "safeguarding data held: " + (", ".join(safeguarding) or "none")),
    ]  # fmt: skip
    return [{"criterion": c, "answer": _yes(met), "because": why} for c, met, why in rows]


def dpia(config: Configuration) -> dict[str, Any]:
    """A DPIA skeleton: screening and facts from the configuration; judgements left open."""
    answers = screening(config)
    met = [a["criterion"] for a in answers if a["answer"] == "yes"]
    return {
        "title": f"wholechild at {_or(config.organisation.name)}",
        "generated_at": config.generated_at.isoformat(),
        "screening": {
            "result": f"a DPIA is required: {len(met)} of the ICO's criteria are met"
            if met else "no ICO high-risk criterion met: record why no DPIA is needed",
            "answers": answers,
        },
        "nature_of_processing": {"sources": _published_sources(config),
                                 "persons": config.persons, "source_records": config.records,
                                 "access_roles": config.roles,
                                 "retention": _or(config.retention, "no retention rules file")},
        "scope": {"data_categories": {k: len(v) for k, v in config.sensitivity.items()},
                  "special_category_columns": config.sensitivity.get("special_category", [])},
        "purposes": config.purposes,
        "lawful_bases": [_lawful_basis(a) for a in config.agreements] or "no agreement recorded",
        "consultation": TO_COMPLETE,
        "necessity_and_proportionality": TO_COMPLETE,
        "risks": [*LINKAGE_RISKS, *DRAFTING_RISKS],
        "sign_off": TO_COMPLETE,
    }  # fmt: skip


def _lawful_basis(agreement: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("ref", "title", "parties", "purposes", "categories", "lawful_basis",
            "special_category_condition", "schedule1_condition", "start_date", "end_date",
            "review_date")  # fmt: skip
    return {k: _or(agreement.get(k), "-") for k in keys}


# -- model cards -----------------------------------------------------------------------------


def model_card_linkage(config: Configuration) -> dict[str, Any]:
    spec = _linkage_spec(config)
    return {
        "model": "wholechild record linkage",
        "details": {k: spec[k] for k in ("model_type", "model_hash", "model_created_at",
                                         "trained_on_records") if k in spec} or spec,
        "intended_use": "deciding which source records are the same child, with clerical review",
        "out_of_scope": "predicting risk, scoring families, any decision about a child",
        "factors": "ethnic group (recall by group); source system pairs",
        "metrics": _linkage_quality(config),
        "training_data": "the store's own source records (unsupervised EM; no labels)",
        "evaluation_data": "synthetic council with ground truth (`wholechild link evaluate`)",
        "caveats": "quality measured on synthetic data may differ from a council's own data",
    }  # fmt: skip


def model_card_drafting(config: Configuration) -> dict[str, Any]:
    return {
        "model": "wholechild EHCP drafting assistant",
        "details": _drafting_spec(config),
        "intended_use": "a first draft of an EHC plan for a caseworker to edit and sign",
        "out_of_scope": "issuing a plan; deciding provision or placement",
        "metrics": _drafting_quality(config),
        "evaluation_data": "synthetic advice with gold facts (wholechild.synth.advice)",
        "caveats": "real advice is more varied than synthetic advice",
    }


# -- Markdown --------------------------------------------------------------------------------


def _label(key: str) -> str:
    text = key.replace("_", " ")
    return text[:1].upper() + text[1:]


def cell(value: Any) -> str:
    """A scalar as it appears in Markdown (tests compare JSON values through this)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _is_table(value: Any) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(v, Mapping) for v in value))  # fmt: skip


def _table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    lines = ["| " + " | ".join(_label(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    return lines + ["| " + " | ".join(_inline(row.get(c)) for c in columns) + " |" for row in rows]


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_inline(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_inline(v) for v in value)
    return cell(value)


def _render(value: Any, level: int) -> list[str]:
    if isinstance(value, Mapping):
        lines: list[str] = []
        for key, item in value.items():
            if isinstance(item, Mapping) or _is_table(item):
                lines += [
                    "",
                    f"{'#' * min(level, 6)} {_label(str(key))}",
                    *_render(item, level + 1),
                ]
            elif isinstance(item, list):
                lines += ["", f"**{_label(str(key))}**:", *(f"- {_inline(v)}" for v in item)]
            else:
                lines.append(f"- **{_label(str(key))}**: {cell(item)}")
        return lines
    if _is_table(value):
        return ["", *_table(value), ""]
    return [_inline(value)]


def to_markdown(title: str, document: Mapping[str, Any]) -> str:
    """The document as Markdown: nested keys as headings, lists of records as tables."""
    return "\n".join([f"# {title}", *_render(document, 2), ""])
