"""Drafting benchmark: synthetic advice -> draft plan -> scored against the gold facts.

    python bench/drafting.py [--cases 60] [--seed 1] [--out DIR]

Prints fact recall by section (needs, provision with its quantities, outcomes reaching the
right section), unsupported statements found by the quality checker (target 0), vague-provision
detection precision and recall (clarification requests; target >= 0.9 each) and the median
seconds per case to read the advice and draft (target <= 5 s). Exit 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from wholechild.ehcp.documents import read_advice
from wholechild.ehcp.drafting import draft_plan
from wholechild.ehcp.quality import check_plan, clarifications
from wholechild.synth.advice import read_gold, write_advice_cases
from wholechild.synth.advice_score import (
    CaseScore,
    precision_recall,
    score_case,
    sections_scored,
)

TARGETS = {"recall": 0.95, "unsupported": 0, "vague": 0.9, "seconds": 5.0}


def run_case(case_dir: Path) -> tuple[CaseScore, float, Counter[str]]:
    """Read, draft, check and score one case; seconds to read the advice and draft."""
    gold = read_gold(case_dir)
    started = time.perf_counter()
    documents = [read_advice(p) for p in sorted(case_dir.iterdir()) if p.name != "gold.json"]
    plan = draft_plan(documents)
    seconds = time.perf_counter() - started
    findings = check_plan(plan, documents)
    score = score_case(gold, plan, findings, clarifications(documents))
    return score, seconds, Counter(f.rule for f in findings)


def report(total: CaseScore, seconds: list[float], rules: Counter[str], cases: int) -> bool:
    print(f"\nDrafting benchmark: {cases} synthetic cases")
    print(f"{'section':<8}{'facts':>7}{'drafted':>9}{'recall':>8}")
    for section in sections_scored(total):
        print(
            f"{section:<8}{total.expected[section]:>7}{total.found[section]:>9}"
            f"{total.recall(section):>8.3f}"
        )
    print(f"{'all':<8}{sum(total.expected.values()):>7}{sum(total.found.values()):>9}"
          f"{total.recall():>8.3f}")  # fmt: skip
    areas = total.area["right"] + total.area["wrong"]
    print(f"area of need right on drafted B/E/F facts: {total.area['right']}/{areas}")
    print(f"unsupported statements: {total.unsupported}")
    print(
        f"vague provisions: {total.vague_found} found, {total.vague_missed} missed, "
        f"{total.vague_false_alarms} false alarms; precision {total.vague_precision:.3f}, "
        f"recall {total.vague_recall:.3f}"
    )
    f_precision, f_recall = precision_recall(total.flagged)
    print(
        f"Section F checker on the drafts: {total.flagged['tp']} vague provisions flagged, "
        f"{total.flagged['fn']} not, {total.flagged['fp']} specific ones flagged; "
        f"precision {f_precision:.3f}, recall {f_recall:.3f}"
    )
    median = statistics.median(seconds)
    print(f"seconds per case (read + draft): median {median:.3f}, max {max(seconds):.3f}")
    print("quality findings on the drafts by rule: " + ", ".join(
        f"{rule} {count}" for rule, count in sorted(rules.items())))  # fmt: skip
    for line in total.missed[:10]:
        print(f"  missed: {line}")
    return (
        total.recall() >= TARGETS["recall"]
        and total.unsupported <= TARGETS["unsupported"]
        and min(total.vague_precision, total.vague_recall, f_precision, f_recall)
        >= TARGETS["vague"]
        and median <= TARGETS["seconds"]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="keep the advice here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch)
        write_advice_cases(out, cases=args.cases, seed=args.seed)
        total, seconds, rules = CaseScore(), [], Counter[str]()
        for case_dir in sorted(p for p in out.iterdir() if p.is_dir()):
            score, took, found = run_case(case_dir)
            total, rules = total + score, rules + found
            seconds.append(took)
        met = report(total, seconds, rules, args.cases)
    print("targets met" if met else "TARGETS MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
