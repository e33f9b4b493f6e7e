"""Browser tests: one small linked council, one server, one Chromium for the whole session.

Chromium is Debian's package at /usr/bin/chromium, driven by Playwright for Python (never
``playwright install``: nothing is downloaded). Without it the tests skip, unless
WHOLECHILD_REQUIRE_BROWSER=1 (as CI sets), when they fail. axe-core comes from the npm
registry (node_modules) and is injected into each page checked.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pytest
import uvicorn
from sqlalchemy import Engine, func, select

from browser.browser_support import Council
from council import load_linked_council, synthesise_council
from web_support import PASSWORD, person_with, web_settings
from wholechild.actions.accounts import seed_demo_accounts
from wholechild.actions.sealing import seal_adoption_records
from wholechild.storage.db import make_engine, migrate
from wholechild.storage.schema import LinkageRun, ReviewItem, SourceRecord
from wholechild.web.app import create_app

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_missing(reason: str) -> None:
    if os.environ.get("WHOLECHILD_REQUIRE_BROWSER") == "1":
        pytest.fail(f"the browser tests are required (WHOLECHILD_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _name_of(engine: Engine, person: int) -> tuple[str, str]:
    with engine.connect() as conn:
        row = conn.execute(
            select(SourceRecord.forename, SourceRecord.surname).where(
                SourceRecord.person_id == person,
                SourceRecord.surname.is_not(None),
                SourceRecord.forename.is_not(None),
            )
        ).first()
    assert row is not None
    return str(row.forename), str(row.surname)


def _open_review_items(engine: Engine, count: int) -> tuple[int, ...]:
    """Pairs for clerical review between different persons' first records."""
    with engine.begin() as conn:
        run_id = conn.scalar(select(func.max(LinkageRun.id)))
        firsts = [
            r if isinstance(r, uuid.UUID) else uuid.UUID(str(r))
            for r in conn.execute(
                select(func.min(SourceRecord.id))
                .where(SourceRecord.person_id.is_not(None), SourceRecord.sealed.is_(False))
                .group_by(SourceRecord.person_id)
                .limit(2 * count)
            ).scalars()
        ]
        ids = []
        for i in range(count):
            left, right = sorted(firsts[2 * i : 2 * i + 2])
            ids.append(
                conn.execute(
                    ReviewItem.__table__.insert().returning(ReviewItem.id),
                    {
                        "run_id": run_id, "record_l": left, "record_r": right,
                        "match_weight": 1.5, "match_probability": 0.74, "status": "open",
                        "opened_at": datetime.now(UTC),
                    },
                ).scalar_one()
            )  # fmt: skip
    return tuple(ids)


def _evaluation_report(engine: Engine, council: Path, out: Path) -> Path:
    """The linkage evaluation report, as `wholechild link evaluate` writes it."""
    from wholechild.linkage.chart import write_report
    from wholechild.linkage.evaluate import evaluate
    from wholechild.linkage.quality import stored_clusters
    from wholechild.linkage.truth import truth_frame

    write_report(evaluate(stored_clusters(engine), truth_frame(engine, council / "truth")), out)
    return out


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own handlers
        pass


@pytest.fixture(scope="session")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Council]:
    """150 synthetic children, ingested, linked, adopted children sealed, demo accounts, two
    open review items; served by uvicorn on a free port of 127.0.0.1."""
    if not CHROMIUM.is_file():
        _browser_missing(f"{CHROMIUM} is not installed (make browser)")
    root = tmp_path_factory.mktemp("browser_council")
    folder = synthesise_council(root / "council", children=150, seed=1)
    engine = make_engine(f"sqlite:///{root / 'wc.db'}")
    migrate(engine)
    load_linked_council(engine, folder)
    seal_adoption_records(engine, actor="test", purpose="audit_oversight")
    seed_demo_accounts(engine, password=PASSWORD, actor="test")
    items = _open_review_items(engine, 2)
    person = person_with(engine, "children's social care", "police", "health")
    report = _evaluation_report(engine, folder, root / "linkage-quality")
    settings = web_settings(
        environment="development", cookie_secure=False, linkage_report_dir=report
    )
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning",
        ws="none", lifespan="off", http="h11",
    )  # fmt: skip
    server = _Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the app did not start within 30 seconds")
        time.sleep(0.05)
    yield Council(f"http://127.0.0.1:{port}", engine, person, _name_of(engine, person), items)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(council: Council) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, council: Council) -> Iterator[Any]:
    """A fresh browser context (no cookies) on the app, failing on any script error."""
    context = browser.new_context(base_url=council.url)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" and "status of 4" not in msg.text
            else None
        ),
    )
    yield tab
    context.close()
    assert not problems, "\n".join(problems)
