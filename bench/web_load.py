"""The web app under load (issue 4's target): the child page and search with 20 concurrent
clients against `wholechild serve` on loopback, on a council in PostgreSQL.

    make bench                                          # runs it with --children 100000
    python bench/web_load.py --children 2000 --seconds 10
    python bench/web_load.py --reuse-url postgresql+psycopg://postgres@127.0.0.1:5432/DB

Builds a council of --children in a throwaway PostgreSQL database on
WHOLECHILD_TEST_POSTGRES_URL's server through the command line (synth, agreements load,
ingest, link, users seed-demo), printing each step's time; --reuse-url skips the build and
uses a store that already has a linked council and the demo accounts. Then serves the app
(`wholechild serve` on 127.0.0.1, a free port), signs the demo social worker in through the
sign-in form once per client, and runs each scenario for --seconds with --clients threads,
each with its own signed-in httpx client: the child page and search (names, some misspelt,
dates of birth and identifiers drawn from the store's records), as pages and through the
JSON API. Prints requests, errors, requests per second and p50/p95/p99 latency per scenario
against the targets (child page p95 <= 150 ms, search p95 <= 200 ms). Every response must be
200: a scenario with errors is not a result, and says so. No timed assertions; the load is
generated on the same (shared, noisy) machine as the server, so read the figures with that.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select

from throughput import store
from wholechild.storage.schema import SourceRecord

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
DEMO_USER = "social.worker"
DEMO_PASSWORD = "wholechild-demo-2026"  # published: the synthetic council's demo accounts only
PURPOSE = "safeguarding_enquiry"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
TARGET_MS = {"child": 150.0, "search": 200.0}

Request = Callable[[httpx.Client, random.Random], httpx.Response]


# -- the council ---------------------------------------------------------------------------


def cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "wholechild"), *args], check=True, env=env, capture_output=True)


def build_council(folder: Path, children: int, env: dict[str, str]) -> None:
    council = folder / "council"
    steps = [
        ("synth", ["synth", "--children", str(children), "--out", str(council)]),
        ("agreements load", ["agreements", "load", str(council / "agreements.yaml")]),
        ("ingest", ["ingest", str(council)]),
        ("link", ["link"]),
        ("users seed-demo", ["users", "seed-demo"]),
    ]
    for label, args in steps:
        start = time.perf_counter()
        cli(env, *args)
        print(f"build: {label:<16} {time.perf_counter() - start:7.1f} s", flush=True)


@dataclass(frozen=True)
class Sample:
    """What the clients ask for: linked persons, and names, dates of birth and identifiers
    from their records."""

    person_ids: list[int]
    names: list[str]
    dobs: list[tuple[int, int, int]]
    identifiers: list[str]


def misspelt(name: str) -> str:
    """One letter dropped from the middle: what a hurried search looks like."""
    middle = len(name) // 2
    return name[:middle] + name[middle + 1 :] if len(name) > 3 else name


def draw_sample(url: str, size: int) -> Sample:
    engine = create_engine(url)
    r = SourceRecord
    with engine.connect() as conn:
        rows = conn.execute(
            select(r.person_id, r.forename, r.surname, r.date_of_birth, r.nhs_number, r.upn)
            .where(r.person_id.is_not(None))
            .order_by(r.id)
        ).all()
    engine.dispose()
    rng = random.Random(2026)
    picked = rng.sample(rows, min(size, len(rows)))
    names = [
        f"{p.forename} {misspelt(p.surname) if i % 3 == 0 else p.surname}"
        for i, p in enumerate(picked)
        if p.forename and p.surname
    ]
    return Sample(
        person_ids=sorted({int(p.person_id) for p in picked}),
        names=names,
        dobs=[(d.day, d.month, d.year) for p in picked if (d := p.date_of_birth)],
        identifiers=[i for p in picked if (i := p.nhs_number or p.upn)],
    )


# -- the server and its clients ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(env: dict[str, str], folder: Path, workers: int = 1) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [str(BIN / "wholechild"), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers)]  # fmt: skip
    process = subprocess.Popen(args, env=env, cwd=folder, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/sign-in", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"wholechild serve did not answer on {base}")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def signed_in_client(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/sign-in")
    found = CSRF_FIELD.search(page.text)
    assert found, "no csrf_token on the sign-in form"
    response = client.post(
        "/sign-in",
        data={"username": DEMO_USER, "password": DEMO_PASSWORD, "csrf_token": found.group(1)},
    )
    if response.status_code != 303:
        raise SystemExit(f"sign-in as {DEMO_USER} answered {response.status_code}")
    return client


# -- scenarios -----------------------------------------------------------------------------


def scenarios(sample: Sample) -> dict[str, tuple[str, Request]]:
    """name: (target kind, one request)."""

    def child_page(c: httpx.Client, rng: random.Random) -> httpx.Response:
        return c.get(f"/children/{rng.choice(sample.person_ids)}", params={"purpose": PURPOSE})

    def child_api(c: httpx.Client, rng: random.Random) -> httpx.Response:
        return c.get(f"/api/children/{rng.choice(sample.person_ids)}", params={"purpose": PURPOSE})

    def search_params(rng: random.Random) -> dict[str, str]:
        kind = rng.randrange(3)  # a name (a third misspelt), a date of birth, an identifier
        if kind == 0:
            return {"name": rng.choice(sample.names)}
        if kind == 1:
            day, month, year = rng.choice(sample.dobs)
            return {"date_of_birth": f"{year:04d}-{month:02d}-{day:02d}"}
        return {"identifier": rng.choice(sample.identifiers)}

    def search_page(c: httpx.Client, rng: random.Random) -> httpx.Response:
        params = {"purpose": PURPOSE, **search_params(rng)}
        if dob := params.pop("date_of_birth", None):
            year, month, day = dob.split("-")
            params.update({"dob-day": day, "dob-month": month, "dob-year": year})
        params["q"] = params.pop("name", None) or params.pop("identifier", None) or ""
        return c.get("/search", params=params)

    def search_api(c: httpx.Client, rng: random.Random) -> httpx.Response:
        return c.get("/api/search", params={"purpose": PURPOSE, **search_params(rng)})

    return {
        "child page": ("child", child_page),
        "search page": ("search", search_page),
        "child (API)": ("child", child_api),
        "search (API)": ("search", search_api),
    }


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def drive(
    clients: list[httpx.Client], request: Request, seconds: float, warmup: float
) -> tuple[Tally, float]:
    """Every client sends requests back to back until the time is up; the first ``warmup``
    seconds are not counted."""
    tally = Tally()
    begin = time.perf_counter() + warmup
    end = begin + seconds

    def work(index: int, client: httpx.Client) -> None:
        rng = random.Random(index)
        mine: list[float] = []
        errors: Counter[int] = Counter()
        while (now := time.perf_counter()) < end:
            response = request(client, rng)
            took = time.perf_counter() - now
            if now >= begin:
                mine.append(took * 1000)
                if response.status_code != 200:
                    errors[response.status_code] += 1
        with tally.lock:
            tally.latencies_ms.extend(mine)
            tally.errors.update(errors)

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally, max(time.perf_counter(), end) - begin


def report(name: str, kind: str, tally: Tally, elapsed: float) -> str:
    ms = sorted(tally.latencies_ms)
    count = len(ms)
    if count < 2:
        return f"| {name} | {count} | - | - | - | - | - | no result |"
    p50, p95, p99 = (
        statistics.quantiles(ms, n=100, method="inclusive")[q - 1] for q in (50, 95, 99)
    )
    errors = sum(tally.errors.values())
    target = TARGET_MS[kind]
    verdict = "met" if p95 <= target else "not met"
    if errors:
        verdict = f"no result: {errors} errors ({dict(tally.errors)})"
    return (
        f"| {name} | {count:,} | {errors} | {count / elapsed:,.1f} | {p50:.0f} | {p95:.0f} |"
        f" {p99:.0f} | p95 <= {target:.0f} ms: {verdict} |"
    )


def run_load(url: str, folder: Path, env: dict[str, str], args: argparse.Namespace) -> None:
    sample = draw_sample(url, 2000)
    print(f"sample: {len(sample.person_ids):,} persons, {len(sample.names):,} names, "
          f"{len(sample.dobs):,} dates of birth, {len(sample.identifiers):,} ids")  # fmt: skip
    with server(env, folder, args.workers) as base:
        clients = [signed_in_client(base) for _ in range(args.clients)]
        print(f"\n{args.clients} clients, {args.seconds:.0f} s a scenario "
              f"(after {args.warmup:.0f} s warm-up), {args.workers} server workers, "
              f"{os.cpu_count()} cores\n")  # fmt: skip
        print("| scenario | requests | errors | req/s | p50 ms | p95 ms | p99 ms | target |")
        print("|---|---|---|---|---|---|---|---|")
        chosen = args.scenarios.split(",") if args.scenarios else None
        for name, (kind, request) in scenarios(sample).items():
            if chosen and name not in chosen:
                continue
            tally, elapsed = drive(clients, request, args.seconds, args.warmup)
            print(report(name, kind, tally, elapsed), flush=True)
        for c in clients:
            c.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=30, help="measured time a scenario")
    parser.add_argument("--warmup", type=float, default=3, help="uncounted seconds first")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="`wholechild serve --workers`")
    parser.add_argument("--reuse-url", help="a store with a linked council: skip the build")
    parser.add_argument("--scenarios", help="comma-separated names (default: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, _store(args.reuse_url, Path(tmp)) as url:
        folder = Path(tmp)
        env = {**os.environ, "WHOLECHILD_DATABASE_URL": url, "WHOLECHILD_ENVIRONMENT":
               "development", "WHOLECHILD_ASSETS_DIR": str(ROOT / "node_modules"),
               "COLUMNS": "200"}  # fmt: skip
        print(f"# web load: {'reused store' if args.reuse_url else f'{args.children:,} children'}"
              " (PostgreSQL)")  # fmt: skip
        if not args.reuse_url:
            build_council(folder, args.children, env)
        run_load(url, folder, env, args)


@contextmanager
def _store(reuse_url: str | None, folder: Path) -> Iterator[str]:
    if reuse_url:
        yield reuse_url
        return
    with store("postgres", folder) as url:
        yield url


if __name__ == "__main__":
    main()
