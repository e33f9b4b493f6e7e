"""Linkage at scale: wholechild against a plain Splink baseline, same data, same run.

    python bench/linkage.py --children 100000      # make bench runs this and bench/febrl.py

Synthesises a council, ingests it into SQLite, then times `wholechild link` (train, score,
cluster, store) and the baseline in separate processes, with peak memory from /usr/bin/time,
and measures both against the ground truth.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = Path(sys.executable).parent
HERE = Path(__file__).parent


def timed(command: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """stdout, wall seconds, peak resident memory in GB."""
    result = subprocess.run(
        ["/usr/bin/time", "-v", *command], capture_output=True, text=True, env=env, check=True
    )
    wall = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    assert wall and rss, result.stderr[-2000:]
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    return result.stdout, seconds, int(rss.group(1)) / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        council, url = Path(tmp) / "council", f"sqlite:///{tmp}/bench.db"
        env = {**os.environ, "WHOLECHILD_DATABASE_URL": url, "COLUMNS": "200"}
        wc = [str(BIN / "wholechild")]
        subprocess.run(
            [*wc, "synth", "--children", str(args.children), "--out", str(council)],
            check=True,
            env=env,
            capture_output=True,
        )
        agreements = ["agreements", "load", str(council / "agreements.yaml")]
        subprocess.run([*wc, *agreements], check=True, env=env, capture_output=True)
        subprocess.run([*wc, "ingest", str(council)], check=True, env=env, capture_output=True)
        truth = str(council / "truth")
        _, ours_s, ours_gb = timed([*wc, "link", "--truth", truth], env)
        timed([*wc, "link", "evaluate", "--truth", truth, "--out", tmp], env)
        ours = json.loads((Path(tmp) / "linkage-quality.json").read_text())
        base_out, base_s, base_gb = timed(
            [sys.executable, str(HERE / "baseline_splink.py"), url, truth], env
        )
        base = json.loads(base_out.strip().splitlines()[-1])
    overall = ours["overall"]
    gaps = [g["recall_gap_pp"] for g in ours["by_group"] if g.get("recall_gap_pp") is not None]
    print(f"Linkage, {args.children:,} children, {os.cpu_count()} cores\n")
    print("| pipeline | precision | recall | F1 | wall s | peak GB |")
    print("|---|---|---|---|---|---|")
    print(
        f"| wholechild | {overall['precision']:.4f} | {overall['recall']:.4f} | "
        f"{overall['f1']:.4f} | {ours_s:.0f} | {ours_gb:.2f} |"
    )
    print(
        f"| plain Splink baseline | {base['precision']:.4f} | {base['recall']:.4f} | "
        f"{base['f1']:.4f} | {base_s:.0f} | {base_gb:.2f} |"
    )
    print(f"\nwall-time ratio wholechild / baseline: {ours_s / base_s:.2f}")
    print(f"ethnic-group recall gaps (pp): min {min(gaps):+.1f}, max {max(gaps):+.1f}")


if __name__ == "__main__":
    main()
