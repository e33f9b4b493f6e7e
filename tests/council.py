"""A small synthetic council, ingested and linked: the shared fixture data for read, web and
browser tests (synthetic people only; NHS numbers from the test range)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from agreements_helpers import load_council_agreements
from wholechild.actions.ingest import ingest_file
from wholechild.actions.link import LinkReport, link_store
from wholechild.formats.discover import plan_files
from wholechild.linkage.labels import labels_from_truth
from wholechild.linkage.truth import truth_frame
from wholechild.synth import synthesise


def synthesise_council(out_dir: Path, *, children: int = 150, seed: int = 3) -> Path:
    synthesise(children=children, seed=seed, out_dir=out_dir)
    return out_dir


def ingest_council(engine: Engine, council: Path) -> None:
    load_council_agreements(engine, council)  # partner files are refused without one
    for planned in plan_files([council], mapping=None, source_system=None):
        fmt = "mapped" if planned.options.mapping else "auto"
        ingest_file(
            engine,
            planned.path,
            actor="test",
            purpose="test",
            format_name=fmt,
            options=planned.options,
        )


def link_council(engine: Engine, council: Path) -> LinkReport:
    truth = truth_frame(engine, council / "truth")

    def label(pairs, membership):  # type: ignore[no-untyped-def]
        return labels_from_truth(pairs, membership, truth, sample=500)

    return link_store(engine, actor="test", purpose="test", labeller=label)


def load_linked_council(engine: Engine, council: Path) -> LinkReport:
    """Ingest every file of ``council`` into ``engine`` and link it."""
    ingest_council(engine, council)
    return link_council(engine, council)
