"""Synthetic EHCP advice: reproducible, in every format and style, and true to its gold facts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from wholechild.ehcp.documents import read_advice
from wholechild.ehcp.facts import qualifications, quantities
from wholechild.ehcp.model import AdviceDocument, AdviceKind
from wholechild.ehcp.quality import clarifications, vague_phrases
from wholechild.synth.advice import (
    STYLES,
    TITLES,
    build_case,
    read_gold,
    write_advice_cases,
)
from wholechild.synth.advice_score import normalise

CASES = 20


@pytest.fixture(scope="module")
def advice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("advice")
    summary = write_advice_cases(out, cases=CASES, seed=5)
    assert summary.cases == CASES
    return out


def golds(folder: Path) -> list[dict[str, Any]]:
    return [read_gold(case) for case in sorted(folder.iterdir())]


def all_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        write_advice_cases(tmp_path / name, cases=4, seed=seed)
    first, second, third = (all_bytes(tmp_path / n) for n in "abc")
    assert first == second
    assert first != third


def test_every_format_style_and_kind_of_advice_is_written(advice: Path) -> None:
    documents = [doc for gold in golds(advice) for doc in gold["documents"]]
    assert {doc["format"] for doc in documents} == {"txt", "docx", "pdf"}
    assert {doc["style"] for doc in documents} == set(STYLES)
    assert {doc["kind"] for doc in documents} == {kind.value for kind in TITLES}


def test_every_gold_fact_is_in_its_document_as_read_back(advice: Path) -> None:
    for case in sorted(advice.iterdir()):
        gold = read_gold(case)
        texts = {
            doc["file"]: normalise(" ".join(read_advice(case / doc["file"]).pages))
            for doc in gold["documents"]
        }
        for fact in gold["facts"]:
            assert normalise(fact["sentence"]) in texts[fact["document"]], fact["fact_id"]
            assert normalise(fact["key"]) in normalise(fact["sentence"])


def test_the_kind_and_author_of_advice_are_recognised(advice: Path) -> None:
    for case in sorted(advice.iterdir())[:10]:
        for doc in read_gold(case)["documents"]:
            read = read_advice(case / doc["file"])
            assert read.kind.value == doc["kind"], doc["file"]
            assert read.author


def test_gold_quantities_and_roles_are_what_the_sentence_says(advice: Path) -> None:
    checked = 0
    for gold in golds(advice):
        for fact in gold["facts"]:
            if not fact["quantities"]:
                continue
            said = {q.value for q in quantities(fact["sentence"])}
            assert set(fact["quantities"]) <= said, fact["sentence"]
            if fact["who"]:
                roles = {q.value for q in qualifications(fact["who"])}
                assert roles and roles <= {q.value for q in qualifications(fact["sentence"])}
            checked += 1
    assert checked > CASES


def test_vague_provisions_read_as_vague_and_specific_ones_do_not(advice: Path) -> None:
    provisions = [f for g in golds(advice) for f in g["facts"] if f["section"] == "F"]
    vague = [f for f in provisions if f["vague"]]
    assert vague and len(vague) < len(provisions)
    assert any(not vague_phrases(f["sentence"]) for f in vague)  # some are vague by omission
    for fact in provisions:
        one = AdviceDocument("d", "d.txt", AdviceKind.OTHER, None, (fact["sentence"],))
        assert bool(clarifications([one])) == fact["vague"], fact["sentence"]
        if fact["vague"]:
            assert fact["quantities"] == []  # the gold gives no number the advice did not commit to


def test_about_a_quarter_of_provisions_are_vague() -> None:
    cases = [build_case(11, n) for n in range(1, 201)]
    provisions = Counter(f.vague for case in cases for f in case.facts if f.section == "F")
    share = provisions[True] / sum(provisions.values())
    assert 0.18 < share < 0.32


def test_each_area_of_need_has_provision_and_an_outcome() -> None:
    for number in range(1, 41):
        facts = build_case(2, number).facts
        needs = {f.area for f in facts if f.section == "B"}
        assert needs
        assert needs == {f.area for f in facts if f.section == "F"}
        assert needs == {f.area for f in facts if f.section == "E"}
        assert any(f.section == "A" for f in facts)  # the family's views are always there


def test_no_real_identifiers_only_synthetic_names(advice: Path) -> None:
    for gold in golds(advice):
        assert gold["child"] and gold["child"][0].isupper()
        assert all(doc["file"].startswith(tuple(t[2] for t in TITLES.values()))
                   for doc in gold["documents"])  # fmt: skip


def test_synth_command_writes_advice_when_asked(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wholechild.cli", "synth", "--out", str(tmp_path / "council"),
         "--children", "60", "--seed", "2", "--ehcp-cases", "3"],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "EHCP advice: 3 cases" in result.stdout
    cases = sorted((tmp_path / "council" / "advice").iterdir())
    assert [c.name for c in cases] == ["case-0001", "case-0002", "case-0003"]
    assert all((c / "gold.json").is_file() for c in cases)


def test_cases_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        write_advice_cases(tmp_path, cases=0, seed=1)


def test_some_pdf_and_docx_advice_runs_over_two_pages(advice: Path) -> None:
    paged = Counter[str]()
    for gold in golds(advice):
        for doc in gold["documents"]:
            pages = read_advice(advice / gold["case_id"] / doc["file"]).pages
            if len(pages) > 1:
                paged[doc["format"]] += 1
                assert any(word in normalise(pages[1]) for word in ("should", "recommend"))
    assert paged["pdf"] and paged["docx"]
    assert not paged["txt"]
