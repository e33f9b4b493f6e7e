"""The platform's everyday costs on a linked council: search, the child page, the audit trail,
subject access, the pseudonymised extract, retention and disclosure control.

    python bench/everyday.py --children 10000      # make bench runs this
    python bench/everyday.py --children 2000 --repeat 3

Builds a council (synth, agreements, ingest, link) in a throwaway SQLite store, then times
each operation as a user meets it. In-process figures (search, child page, audit writes and
verify, disclosure control) are medians of ``--repeat`` runs; command-line figures (subject
access, extract, transparency, retention) are medians of ``--repeat`` runs of the command,
process start included, with the bare start-up (`wholechild --help`) printed beside them
for comparison. The machine is shared and noisy: read ratios, not single runs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, func, select

from wholechild.actions.audit import record_audit
from wholechild.audit import verify_chain
from wholechild.core.access import Category, Principal, Purpose, Role
from wholechild.core.disclosure import CountTable, suppress
from wholechild.read.child import child_view
from wholechild.read.search import search_children
from wholechild.storage.db import make_engine
from wholechild.storage.schema import AuditEvent, SourceRecord

BIN = Path(sys.executable).parent
WORKER = Principal("bench.social.worker", Role.SOCIAL_WORKER, Category.SOCIAL_CARE, "mash")
PURPOSE = Purpose.SAFEGUARDING_ENQUIRY


def median_seconds(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "wholechild"), *args], check=True, env=env, capture_output=True)


def build_council(folder: Path, children: int, env: dict[str, str]) -> float:
    start = time.perf_counter()
    council = folder / "council"
    cli(env, "synth", "--children", str(children), "--out", str(council))
    cli(env, "agreements", "load", str(council / "agreements.yaml"))
    cli(env, "ingest", str(council))
    cli(env, "link")
    return time.perf_counter() - start


def named_people(engine: Engine, count: int) -> list[tuple[int, str, str]]:
    """(person id, forename, surname) of ``count`` linked children with names, drawn at random."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(SourceRecord.person_id, SourceRecord.forename, SourceRecord.surname)
            .where(SourceRecord.person_id.is_not(None), SourceRecord.surname.is_not(None))
            .where(SourceRecord.forename.is_not(None))
            .order_by(SourceRecord.id)
        ).all()
    picked = random.Random(2026).sample(rows, min(count, len(rows)))
    return [(int(r.person_id), str(r.forename), str(r.surname)) for r in picked]


def misspelt(name: str) -> str:
    """One letter dropped from the middle: what a hurried search looks like."""
    middle = len(name) // 2
    return name[:middle] + name[middle + 1 :] if len(name) > 3 else name


def search_and_view(engine: Engine, people: list[tuple[int, str, str]], repeat: int) -> None:
    def search_one(forename: str, surname: str) -> float:
        text = f"{forename} {misspelt(surname)}"
        return median_seconds(
            lambda: search_children(engine, WORKER, purpose=PURPOSE, text=text), repeat
        )

    def view_one(person_id: int) -> float:
        return median_seconds(
            lambda: child_view(engine, WORKER, person_id=person_id, purpose=PURPOSE), repeat
        )

    opened = [child_view(engine, WORKER, person_id=p, purpose=PURPOSE) for p, _, _ in people]
    shown = sum(len(v.records) for v in opened)
    searches = [search_one(f, s) for _, f, s in people]
    views = [view_one(p) for p, _, _ in people]
    found = sum(
        any(h.person_id == p for h in search_children(engine, WORKER, purpose=PURPOSE,
                                                        text=f"{f} {misspelt(s)}"))
        for p, f, s in people
    )  # fmt: skip
    med = statistics.median(searches)
    print(f"search, misspelt name ({len(people)} children)  median {med:.3f} s"
          f"  slowest {max(searches):.3f} s  found the child {found}/{len(people)}")  # fmt: skip
    print(f"child page                              median {statistics.median(views):.3f} s"
          f"  slowest {max(views):.3f} s  ({shown / len(people):.1f} records a child)")  # fmt: skip


def audit_trail(engine: Engine, entries: int, repeat: int) -> None:
    start = time.perf_counter()
    with engine.begin() as conn:
        for i in range(entries):
            record_audit(
                conn, actor="bench", purpose="benchmark", action="bench.write",
                target_type="bench", target_id=str(i), details={"i": i},
            )  # fmt: skip
    write_s = time.perf_counter() - start
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    report = verify_chain(engine)
    assert not report.problems, report.problems
    verify_s = median_seconds(lambda: verify_chain(engine), repeat)
    print(f"audit writes                            {entries / write_s:,.0f} entries/s"
          f" ({entries:,} in one transaction)")  # fmt: skip
    print(f"audit verify                            median {verify_s:.2f} s for {total:,} entries")


def disclosure(repeat: int) -> None:
    rng = random.Random(7)
    counts = tuple(tuple(rng.choice((0, 1, 2, 3, 4, 8, 15, 40)) for _ in range(20))
                   for _ in range(100))  # fmt: skip
    table = CountTable(tuple(f"r{i}" for i in range(100)), tuple(f"c{j}" for j in range(20)),
                       counts)  # fmt: skip
    seconds = median_seconds(lambda: suppress(table, threshold=5), repeat)
    print(f"disclosure control, 100 x 20 table      median {seconds:.3f} s")


def commands(env: dict[str, str], folder: Path, person_id: int, repeat: int) -> None:
    runs = iter(range(1_000_000))

    def timed(*args: str) -> float:
        return median_seconds(lambda: cli(env, *[a.format(n=next(runs)) for a in args]), repeat)

    print(f"command start-up (wholechild --help)    median {timed('--help'):.2f} s")
    sar = timed("sar", str(person_id), "--out", str(folder / "sar-{n}"))
    print(f"subject access export (one child)       median {sar:.2f} s")
    extract = timed("extract", "--purpose", "statutory_return", "--out", str(folder / "x-{n}"))
    print(f"pseudonymised extract (statutory return) median {extract:.2f} s")
    report = timed("retention", "report")
    print(f"retention report                        median {report:.2f} s")
    start = time.perf_counter()
    cli(env, "retention", "apply", "--as-of", "2100-01-01", "--yes")  # everything due: worst case
    print(f"retention apply, every record due       {time.perf_counter() - start:.2f} s (one run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--people", type=int, default=20, help="children to search for and open")
    parser.add_argument("--audit-entries", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder}/bench.db"
        key = folder / "pseudonym.key"
        key.write_text(random.Random(1).randbytes(32).hex())
        env = {**os.environ, "WHOLECHILD_DATABASE_URL": url, "COLUMNS": "200",
               "WHOLECHILD_PSEUDONYM_KEY": str(key)}  # fmt: skip
        build_s = build_council(folder, args.children, env)
        engine = make_engine(url)
        with engine.connect() as conn:
            records = conn.execute(select(func.count()).select_from(SourceRecord)).scalar_one()
        print(f"# everyday use: {args.children:,} children, {records:,} source records (SQLite)")
        print(f"council built (synth, ingest, link)     {build_s:.0f} s")
        people = named_people(engine, args.people)
        search_and_view(engine, people, args.repeat)
        audit_trail(engine, args.audit_entries, min(args.repeat, 3))
        disclosure(args.repeat)
        commands(env, folder, people[0][0], min(args.repeat, 3))
        engine.dispose()


if __name__ == "__main__":
    main()
