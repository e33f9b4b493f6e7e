"""Transparency artefacts from the live configuration, on SQLite and PostgreSQL: a small
synthetic council is ingested, linked and evaluated against its ground truth here; the ATRS
record for linkage then carries those measured figures and the stored model's hash, JSON and
Markdown say the same, and the DPIA's screening answers follow the configuration (an empty
store answers differently from a linked one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from conftest import fresh_store
from council import load_linked_council, synthesise_council
from wholechild.actions.transparency import (
    ARTEFACTS,
    Sources,
    measure_drafting,
    read_configuration,
    write_transparency,
)
from wholechild.governance.transparency import Organisation, cell, dpia, screening
from wholechild.linkage.chart import JSON_FILE, write_report
from wholechild.linkage.evaluate import EvaluationReport, evaluate
from wholechild.linkage.quality import stored_clusters
from wholechild.linkage.truth import truth_frame
from wholechild.storage.schema import AuditEvent, DataSharingAgreement, LinkageModel, LinkageRun

ORGANISATION = Organisation("Wholetown Council", "https://wholetown.example", "dpo@example.org")


def _agreement(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(DataSharingAgreement), {
            "ref": "DSA-HEALTH-01", "title": "Health safeguarding information sharing",
            "parties": ["Wholetown Council", "Wholetown NHS Trust"],
            "source_systems": ["health_trust"], "partner_category": "health",
            "purposes": ["safeguarding_enquiry"], "categories": ["health"],
            "lawful_basis": "Art. 6(1)(e) public task",
            "special_category_condition": "Art. 9(2)(g) substantial public interest",
            "schedule1_condition": "Sch. 1 para 18 safeguarding of children",
            "start_date": date(2024, 4, 1), "end_date": date(2027, 3, 31),
            "review_date": date(2026, 4, 1), "created_by": "dpo", "created_at": datetime.now(UTC),
        })  # fmt: skip


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def council(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, EvaluationReport, Path]]:
    """60 synthetic children, ingested, linked and evaluated; an agreement recorded."""
    folder = synthesise_council(tmp_path_factory.mktemp("council"), children=60, seed=2)
    store = tmp_path_factory.mktemp("store")
    with fresh_store(request.param, "wholechild_transparency", store) as engine:
        load_linked_council(engine, folder)
        _agreement(engine)
        report = evaluate(stored_clusters(engine), truth_frame(engine, folder / "truth"))
        quality_dir = tmp_path_factory.mktemp("quality")
        write_report(report, quality_dir)
        yield engine, report, quality_dir / JSON_FILE


@pytest.fixture(scope="module")
def written(
    council: tuple[Engine, EvaluationReport, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Engine, EvaluationReport, Path]:
    engine, report, quality = council
    out = tmp_path_factory.mktemp("transparency")
    sources = Sources(ORGANISATION, linkage_quality=quality,
                      drafting_quality=measure_drafting(cases=2))  # fmt: skip
    write_transparency(engine, out_dir=out, sources=sources, actor="dpo", purpose="audit_oversight")
    return engine, report, out


def _json(out: Path, stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
    return data


def test_every_artefact_is_written_as_markdown_and_json(written: Any) -> None:
    _, _, out = written
    expected = {f"{stem}.{ext}" for stem in ARTEFACTS for ext in ("md", "json")}
    assert {p.name for p in out.iterdir()} == expected


def test_the_linkage_record_carries_the_measured_quality(written: Any) -> None:
    _, report, out = written
    performance = _json(out, "atrs-linkage")["tier_2"]["performance"]
    overall = report.overall
    assert (performance["precision"], performance["recall"], performance["f1"]) == (
        overall.precision, overall.recall, overall.f1)  # fmt: skip
    assert performance["true_pairs"] == overall.true_pairs > 0
    assert performance["false_links"] == overall.false_positives
    assert performance["missed_links"] == overall.false_negatives
    assert performance["source"].endswith(JSON_FILE) and performance["measured_at"]
    groups = {g["group"]: g for g in performance["recall_by_ethnic_group"]}
    assert set(groups) == {row.group for row in report.by_group}
    for row in report.by_group:  # small groups are suppressed, as on every published figure
        shown = groups[row.group]["recall"]
        assert shown == (row.pairs.recall if row.children >= 10 else "suppressed")


def test_the_linkage_record_names_the_stored_model_run_and_rules(written: Any) -> None:
    engine, _, out = written
    record = _json(out, "atrs-linkage")
    with engine.connect() as conn:
        model = conn.execute(select(LinkageModel)).one()
        run = conn.execute(select(LinkageRun)).one()
    spec = record["tier_2"]["technical_specification"]
    assert spec["model_hash"] == model.model_hash
    assert spec["latest_run"]["run_id"] == run.id
    assert spec["latest_run"]["counts"]["links"] == run.counts["links"]
    assert spec["blocking_rules"] and "dob" in spec["comparisons"]
    assert record["tier_1"]["organisation"] == ORGANISATION.name
    assert record["tier_1"]["phase"] == "production"


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


@pytest.mark.parametrize("stem", list(ARTEFACTS))
def test_json_and_markdown_say_the_same(written: Any, stem: str) -> None:
    _, _, out = written
    markdown = (out / f"{stem}.md").read_text(encoding="utf-8")
    missing = [v for v in _leaves(_json(out, stem)) if cell(v) not in markdown]
    assert missing == []
    assert markdown.startswith(f"# {ARTEFACTS[stem][0]}")


def test_the_drafting_record_says_where_its_figures_came_from(written: Any) -> None:
    _, _, out = written
    performance = _json(out, "atrs-ehcp-drafting")["tier_2"]["performance"]
    assert performance["source"] == "measured on 2 synthetic advice cases (seed 1)"
    assert performance["cases"] == 2 and 0 <= performance["fact_recall"] <= 1


def test_the_dpia_answers_follow_the_configuration(store: Engine, written: Any) -> None:
    _, _, out = written
    empty_store = read_configuration(store, Sources(ORGANISATION))
    empty = {a["criterion"]: a["answer"] for a in screening(empty_store)}
    configured = {a["criterion"]: a for a in _json(out, "dpia")["screening"]["answers"]}
    changes = ("Innovative technology", "Data matching", "Invisible processing",
               "Risk of physical harm", "Tracking")  # fmt: skip
    for criterion in changes:
        assert (empty[criterion], configured[criterion]["answer"]) == ("no", "yes"), criterion
    for criterion in ("Biometric data", "Genetic data"):
        assert configured[criterion]["answer"] == "no"
    assert empty["Targeting children or other vulnerable individuals"] == "yes"
    assert "probabilistic record linkage" in configured["Innovative technology"]["because"]


def test_the_dpia_lists_agreements_categories_retention_and_roles(written: Any) -> None:
    _, _, out = written
    document = _json(out, "dpia")
    basis = next(b for b in document["lawful_bases"] if b["ref"] == "DSA-HEALTH-01")
    assert basis["special_category_condition"].startswith("Art. 9(2)(g)")
    assert basis["schedule1_condition"].startswith("Sch. 1 para 18")
    scope = document["scope"]
    assert "source_record.ethnicity" in scope["special_category_columns"]
    assert set(scope["data_categories"]) == {"identifying", "special_category", "operational"}
    nature = document["nature_of_processing"]
    assert "ig_officer" in {r["role"] for r in nature["access_roles"]}
    assert nature["retention"]["rules"] and nature["retention"]["rules_hash"]
    assert document["consultation"].startswith("TO COMPLETE")


def test_generating_is_audited(written: Any) -> None:
    engine, _, _ = written
    with engine.connect() as conn:
        entry = conn.execute(
            select(AuditEvent).where(AuditEvent.action == "transparency.generate")
        ).one()
    assert entry.details["artefacts"] == len(ARTEFACTS)
    assert entry.details["linkage_quality"].endswith(JSON_FILE)


def test_unmeasured_quality_is_said_plainly(store: Engine, tmp_path: Path) -> None:
    document = dpia(read_configuration(store, Sources(Organisation())))
    assert document["screening"]["answers"]
    write_transparency(store, out_dir=tmp_path, sources=Sources(Organisation()), actor="dpo",
                       purpose="audit_oversight")  # fmt: skip
    record = _json(tmp_path, "atrs-linkage")
    assert record["tier_2"]["performance"]["status"] == "not measured"
    assert record["tier_1"]["organisation"].startswith("not set")


def test_the_command_line_writes_the_artefacts(tmp_path: Path, written: Any) -> None:
    _, report, _ = written
    quality = tmp_path / "quality.json"
    quality.write_text(report.to_json_text(), encoding="utf-8")
    environment = {**os.environ, "WHOLECHILD_DATABASE_URL": f"sqlite:///{tmp_path / 'wc.db'}",
                   "WHOLECHILD_ENVIRONMENT": "development",
                   "WHOLECHILD_ORGANISATION_NAME": "Wholetown Council"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "wholechild.cli", "transparency", "--out", str(tmp_path / "t"),
         "--quality", str(quality), "--drafting-cases", "0"],
        capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = _json(tmp_path / "t", "atrs-linkage")
    assert record["tier_2"]["performance"]["precision"] == report.overall.precision
    assert record["tier_1"]["organisation"] == "Wholetown Council"
