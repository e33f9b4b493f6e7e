"""The link action end to end on a small synthetic council, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from agreements_helpers import load_council_agreements
from wholechild.actions.ingest import ingest_file
from wholechild.actions.link import LinkReport, link_store
from wholechild.formats.discover import plan_files
from wholechild.linkage.evaluate import evaluate
from wholechild.linkage.labels import labels_from_truth
from wholechild.linkage.quality import stored_clusters
from wholechild.linkage.truth import truth_frame
from wholechild.storage.schema import AuditEvent, RecordLink, SourceRecord
from wholechild.synth import synthesise


def test_records_not_yet_linked_are_clusters_of_their_own(store: Engine, council: Path) -> None:
    load(store, council)
    clusters = stored_clusters(store)
    assert clusters["cluster_id"].is_unique  # no person yet: nobody is lumped together


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("council")
    synthesise(children=400, seed=5, out_dir=out)
    return out


def load(engine: Engine, council: Path) -> None:
    load_council_agreements(engine, council)
    for planned in plan_files([council], mapping=None, source_system=None):
        fmt = "mapped" if planned.options.mapping else "auto"
        ingest_file(
            engine, planned.path, actor="t", purpose="t", format_name=fmt, options=planned.options
        )


def run(engine: Engine, council: Path, **kwargs: object) -> LinkReport:
    truth = truth_frame(engine, council / "truth")

    def label(pairs, membership):  # type: ignore[no-untyped-def]
        return labels_from_truth(pairs, membership, truth, sample=500)

    return link_store(engine, actor="tester", purpose="test", labeller=label, **kwargs)  # type: ignore[arg-type]


def persons(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {str(r): p for r, p in conn.execute(select(SourceRecord.id, SourceRecord.person_id))}


def test_link_evaluate_and_relink(store: Engine, council: Path) -> None:
    load(store, council)
    first = run(store, council)

    linked = persons(store)
    assert all(p is not None for p in linked.values())
    quality = evaluate(stored_clusters(store), truth_frame(store, council / "truth"))
    assert quality.overall.f1 is not None and quality.overall.f1 > 0.95
    assert first.thresholds.source.startswith("labelled sample")
    with store.connect() as conn:
        link = conn.execute(select(RecordLink).limit(1)).one()
        audits = conn.execute(select(func.count()).where(AuditEvent.action == "linkage.run"))
        assert audits.scalar_one() == 1
    assert link.model_hash == first.summary.model_hash
    assert link.contributions and "dob" in link.contributions  # why linked

    again = run(store, council, incremental=True)
    assert again.summary.model_hash == first.summary.model_hash  # the stored model is reused
    assert persons(store) == linked  # every child keeps their person id
