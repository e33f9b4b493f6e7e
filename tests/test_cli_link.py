"""The linkage commands as a data team would run them, end to end."""

from __future__ import annotations

import re
from pathlib import Path

from test_cli import run


def test_synth_ingest_link_evaluate_review(tmp_path: Path) -> None:
    council = tmp_path / "council"
    assert (
        run(
            ["synth", "--children", "250", "--seed", "4", "--out", str(council)], tmp_path
        ).returncode
        == 0
    )
    assert run(["agreements", "load", str(council / "agreements.yaml")], tmp_path).returncode == 0
    assert run(["ingest", str(council)], tmp_path).returncode == 0

    linked = run(["link", "--truth", str(council / "truth"), "--sample", "400"], tmp_path)
    assert linked.returncode == 0, linked.stderr
    assert "labelled sample of" in linked.stdout and "persons" in linked.stdout

    quality = run(["link", "evaluate", "--truth", str(council / "truth"), "--out", "q"], tmp_path)
    assert quality.returncode == 0, quality.stderr
    f1 = float(re.search(r"F1 ([0-9.]+)", quality.stdout).group(1))  # type: ignore[union-attr]
    assert f1 > 0.9
    report = (tmp_path / "q" / "linkage-quality.md").read_text()
    assert "## By ethnic group" in report and (tmp_path / "q" / "recall_by_group.svg").exists()

    queue = run(["review", "list", "--limit", "1"], tmp_path)
    assert queue.returncode == 0
    pair = re.findall(r"\b[0-9a-f]{32}\b", queue.stdout)
    if len(pair) >= 2:  # a tiny council may have nothing uncertain
        decided = run(
            [
                "review",
                "decide",
                pair[0],
                pair[1],
                "--not-same",
                "--reviewer",
                "A Reviewer",
                "--reason",
                "different dates of birth",
            ],
            tmp_path,
        )
        assert decided.returncode == 0, decided.stderr
        assert "recorded" in decided.stdout
    refused = run(["review", "merge", "1", "--actor", "A", "--reason", "x"], tmp_path)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr  # one person is no merge
    again = run(["link", "--incremental"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "stored" in again.stdout  # thresholds reused from the stored model
