"""Synth and ingest throughput (records per second), SQLite and PostgreSQL.

    make bench                      # 10k (median of 3) and 100k (1 run) children
    python bench/throughput.py --sizes 10000 --repeat 5

Prints a table; timings are medians of the repeats because the machine is shared and noisy.
PostgreSQL runs use a throwaway database on WHOLECHILD_TEST_POSTGRES_URL's server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from wholechild.actions.ingest import ingest_file
from wholechild.formats.discover import plan_files
from wholechild.storage.db import make_engine, migrate
from wholechild.synth import synthesise

PG_ADMIN = os.environ.get(
    "WHOLECHILD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def store(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        path = folder / f"bench-{uuid.uuid4().hex[:6]}.db"
        yield f"sqlite:///{path}"
        return
    name = f"wholechild_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def ingest_all(url: str, council: Path) -> tuple[float, int]:
    engine = make_engine(url)
    migrate(engine)
    # Partners' files load only under an agreement in force (not timed).
    load = [str(Path(sys.executable).parent / "wholechild"), "agreements", "load"]
    env = {**os.environ, "WHOLECHILD_DATABASE_URL": url}
    subprocess.run([*load, str(council / "agreements.yaml")], check=True, env=env,
                   capture_output=True)  # fmt: skip
    rows = 0
    start = time.perf_counter()
    for planned in plan_files([council], mapping=None, source_system=None):
        fmt = "mapped" if planned.options.mapping else "auto"
        report = ingest_file(
            engine,
            planned.path,
            actor="bench",
            purpose="benchmark",
            format_name=fmt,
            options=planned.options,
        )
        rows += report.rows_read
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds, rows


def median_of(repeat: int, run: Callable[[], tuple[float, int]]) -> tuple[float, int]:
    results = [run() for _ in range(repeat)]
    return statistics.median(r[0] for r in results), results[0][1]


def bench_size(children: int, repeat: int, stores: list[str], folder: Path) -> list[str]:
    council = folder / f"council-{children}"

    def synth_once() -> tuple[float, int]:
        summary = synthesise(children=children, seed=1, out_dir=council)
        return summary.seconds, sum(summary.rows.values())

    lines = []
    seconds, rows = median_of(repeat, synth_once)
    lines.append(f"| synth | {children:,} | - | {rows:,} | {seconds:.1f} | {rows / seconds:,.0f} |")
    for kind in stores:

        def ingest_once(kind: str = kind) -> tuple[float, int]:
            with store(kind, folder) as url:
                return ingest_all(url, council)

        seconds, rows = median_of(repeat, ingest_once)
        lines.append(
            f"| ingest | {children:,} | {kind} | {rows:,} | {seconds:.1f} | {rows / seconds:,.0f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure under 50k children")
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"wholechild throughput, {os.cpu_count()} cores; medians of repeats\n")
    print("| step | children | store | rows | seconds | rows/s |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            repeat = args.repeat if size < 50_000 else 1
            for line in bench_size(size, repeat, args.stores.split(","), Path(tmp)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
