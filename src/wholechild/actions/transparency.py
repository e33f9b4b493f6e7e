"""Writing the transparency artefacts from the live configuration and measurements.

``write_transparency`` reads the configuration (the latest linkage model and run, the data
loaded, the data-sharing agreements, the schema's sensitivity classes, the retention rules,
the access roles and purposes), the measured linkage quality (the JSON that ``wholechild link
evaluate`` writes, or a file given) and the drafting assistant's quality (a file given, or
measured now on synthetic advice), builds the artefacts (``wholechild.governance.transparency``)
and writes each as Markdown and JSON. The audit entry (file count, model hash, where the
figures came from) is written first, in its own transaction: no audit, no artefacts.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, func, select

from wholechild.actions.audit import record_audit
from wholechild.core.access import PURPOSE_LABELS, ROLE_LABELS, category_of
from wholechild.errors import InputFileError
from wholechild.governance.agreements import AGREEMENT_DATES, AGREEMENT_TERMS
from wholechild.governance.retention import RuleSet, default_rules, load_rules
from wholechild.governance.transparency import (
    Configuration,
    LinkageFacts,
    Measured,
    Organisation,
    atrs_drafting,
    atrs_linkage,
    dpia,
    model_card_drafting,
    model_card_linkage,
    to_markdown,
)
from wholechild.storage.schema import (
    Base,
    DataSharingAgreement,
    EhcpCase,
    IngestBatch,
    LinkageModel,
    LinkageRun,
    Person,
    SourceAddress,
    SourceRecord,
)

__all__ = [
    "ARTEFACTS",
    "Sources",
    "measure_drafting",
    "read_configuration",
    "read_measured",
    "write_transparency",
]

log = logging.getLogger(__name__)

# file stem -> (title, builder)
ARTEFACTS: Final[dict[str, tuple[str, Callable[[Configuration], dict[str, Any]]]]] = {
    "atrs-linkage": ("ATRS record: record linkage", atrs_linkage),
    "atrs-ehcp-drafting": ("ATRS record: EHCP drafting assistant", atrs_drafting),
    "dpia": ("Data protection impact assessment (skeleton)", dpia),
    "model-card-linkage": ("Model card: record linkage", model_card_linkage),
    "model-card-ehcp-drafting": ("Model card: EHCP drafting assistant", model_card_drafting),
}


@dataclass(frozen=True, slots=True)
class Sources:
    """Where the artefacts' inputs come from, beyond the store."""

    organisation: Organisation
    linkage_quality: Path | None = None
    drafting_quality: Measured | None = None
    retention_rules: Path | None = None
    rephrasing_model: str | None = None
    disclosure_threshold: int = 10


def write_transparency(
    engine: Engine, *, out_dir: Path, sources: Sources, actor: str, purpose: str
) -> list[Path]:
    """Write every artefact as Markdown and JSON into ``out_dir``; the paths written."""
    config = read_configuration(engine, sources)
    documents = {stem: (title, build(config)) for stem, (title, build) in ARTEFACTS.items()}
    with engine.begin() as conn:
        record_audit(
            conn, actor=actor, purpose=purpose, action="transparency.generate",
            target_type="transparency", target_id=None, details=_audit_details(config, documents),
        )  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, (title, document) in documents.items():
        paths.append(out_dir / f"{stem}.json")
        paths[-1].write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        paths.append(out_dir / f"{stem}.md")
        paths[-1].write_text(to_markdown(title, document), encoding="utf-8")
    log.info("transparency: %s files written", len(paths))
    return paths


def _audit_details(config: Configuration, documents: dict[str, Any]) -> dict[str, Any]:
    return {
        "artefacts": len(documents),
        "model_hash": config.linkage.model_hash if config.linkage else None,
        "linkage_quality": config.linkage_quality.source if config.linkage_quality else None,
        "drafting_quality": config.drafting_quality.source if config.drafting_quality else None,
    }


# -- measurements ----------------------------------------------------------------------------


def _mtime(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).isoformat(timespec="seconds")


def read_measured(path: Path) -> Measured:
    """Figures from a JSON file, with its path and modification time as where and when."""
    try:
        figures = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(
            f"cannot read measurements from {path}: {type(exc).__name__}",
            fix="give the JSON that `wholechild link evaluate` wrote (linkage-quality.json)",
        ) from None
    if not isinstance(figures, dict):
        raise InputFileError(f"{path} does not hold a JSON object", fix="give a JSON object")
    return Measured(figures, str(path), _mtime(path))


def measure_drafting(*, cases: int, seed: int = 1) -> Measured:
    """The drafting assistant scored on synthetic advice now (as bench/drafting.py scores)."""
    from wholechild.ehcp.documents import read_advice
    from wholechild.ehcp.drafting import draft_plan
    from wholechild.ehcp.quality import check_plan, clarifications
    from wholechild.synth.advice import read_gold, write_advice_cases
    from wholechild.synth.advice_score import CaseScore, score_case

    total = CaseScore()
    with tempfile.TemporaryDirectory() as scratch:
        write_advice_cases(Path(scratch), cases=cases, seed=seed)
        for case in sorted(p for p in Path(scratch).iterdir() if p.is_dir()):
            documents = [read_advice(p) for p in sorted(case.iterdir()) if p.name != "gold.json"]
            plan = draft_plan(documents)
            findings = check_plan(plan, documents)
            total += score_case(read_gold(case), plan, findings, clarifications(documents))
    figures = {
        "cases": cases, "fact_recall": total.recall(), "unsupported_statements": total.unsupported,
        "vague_provision_precision": total.vague_precision,
        "vague_provision_recall": total.vague_recall,
    }  # fmt: skip
    when = datetime.now(UTC).isoformat(timespec="seconds")
    return Measured(figures, f"measured on {cases} synthetic advice cases (seed {seed})", when)


# -- the configuration -----------------------------------------------------------------------


def read_configuration(engine: Engine, sources: Sources) -> Configuration:
    quality = sources.linkage_quality
    with engine.connect() as conn:
        return Configuration(
            organisation=sources.organisation,
            generated_at=datetime.now(UTC),
            linkage=_linkage(conn),
            linkage_quality=read_measured(quality) if quality is not None else None,
            drafting_quality=sources.drafting_quality,
            rephrasing_model=sources.rephrasing_model,
            sources=_sources(conn),
            persons=_count(conn, Person),
            records=_count(conn, SourceRecord),
            ehcp_cases=_count(conn, EhcpCase),
            addresses=_count(conn, SourceAddress),
            agreements=_agreements(conn),
            sensitivity=sensitivity_classes(),
            retention=_retention(sources.retention_rules),
            roles=[{"role": r.value, "label": label} for r, label in ROLE_LABELS.items()],
            purposes=[{"purpose": p.value, "label": label} for p, label in PURPOSE_LABELS.items()],
            disclosure_threshold=sources.disclosure_threshold,
        )


def _count(conn: Connection, table: Any) -> int:
    return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def _linkage(conn: Connection) -> LinkageFacts | None:
    model = conn.execute(select(LinkageModel).order_by(LinkageModel.id.desc()).limit(1)).first()
    if model is None:
        return None
    run = conn.execute(select(LinkageRun).order_by(LinkageRun.id.desc()).limit(1)).first()
    settings = model.settings or {}
    return LinkageFacts(
        model_hash=model.model_hash,
        created_at=_iso(model.created_at) or "unknown",
        trained_on_records=model.trained_on_records,
        link_type=settings.get("link_type"),
        comparisons={
            str(c.get("output_column_name")): [
                str(level.get("label_for_charts")) for level in c.get("comparison_levels", [])
            ]
            for c in settings.get("comparisons", [])
        },
        blocking_rules=[
            str(rule.get("blocking_rule") if isinstance(rule, dict) else rule)
            for rule in settings.get("blocking_rules_to_generate_predictions", [])
        ],
        thresholds=dict(model.thresholds or {}),
        run=None if run is None else _run(run),
    )


def _run(run: Any) -> dict[str, Any]:
    return {"run_id": run.id, "started_at": _iso(run.started_at), "mode": run.mode,
            "upper": run.upper, "lower": run.lower, "counts": dict(run.counts or {})}  # fmt: skip


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _sources(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(IngestBatch.source_system, IngestBatch.agency, func.count(SourceRecord.id))
        .join(SourceRecord, SourceRecord.batch_id == IngestBatch.id, isouter=True)
        .group_by(IngestBatch.source_system, IngestBatch.agency)
        .order_by(IngestBatch.source_system)
    ).all()
    return [
        {"source_system": system, "agency": agency, "category": category_of(agency).value,
         "records": int(n)}
        for system, agency, n in rows
    ]  # fmt: skip


def _agreements(conn: Connection) -> list[dict[str, Any]]:
    a = DataSharingAgreement
    rows = conn.execute(select(a).order_by(a.ref)).all()
    return [
        {
            **{k: getattr(r, k) for k in AGREEMENT_TERMS},
            **{k: _iso(getattr(r, k)) for k in AGREEMENT_DATES},
        }
        for r in rows
    ]


def sensitivity_classes() -> dict[str, list[str]]:
    """Every column of the schema by its sensitivity class, as ``table.column``."""
    found: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            kind = str(column.info.get("sensitivity", "unclassified"))
            found.setdefault(kind, []).append(f"{table.name}.{column.name}")
    return found


def _retention(path: Path | None) -> dict[str, Any]:
    rules: RuleSet = (
        load_rules(path.read_text(encoding="utf-8"), where=str(path)) if path else default_rules()
    )
    return {
        "source": str(path) if path else "packaged defaults (retention_rules.yaml)",
        "rules_hash": rules.rules_hash,
        "rules": [
            {"rule": r.id, "title": r.title, "years": r.years, "from": r.trigger.value,
             "then": r.action.value, "confirmed": r.confirmed}
            for r in rules.rules
        ],
    }  # fmt: skip
