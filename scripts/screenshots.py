"""Screenshots of wholechild's main pages, for docs/screenshots/ (issue 4).

Run it with ``make screenshots`` (which first runs ``make setup browser``), or directly::

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--children 1500] [--keep]

What it does, using only the public command line and the web app:

1. Builds a small synthetic council (1,500 children by default, seed 1: enough EHCP cases for
   the caseload to show clocks) in a temporary folder, as ``make demo-data`` does:
   ``wholechild synth``, ``agreements load``, ``ingest``, ``link``, ``link evaluate``,
   ``records seal --adopted``, ``ehcp load-synthetic``, ``users seed-demo`` and ``hold place``
   (one example legal hold), with ``WHOLECHILD_DATABASE_URL`` pointing at a SQLite file in
   that folder. Linking uses the default thresholds (0.9 / 0.3), so that the clerical-review
   queue has pairs to show; ``link evaluate`` then measures it against the council's ground
   truth for the linkage-quality dashboard.
2. Serves it with ``wholechild serve`` on a free port of 127.0.0.1 (environment
   ``development``; keys, logs and subject access exports stay in the temporary folder).
3. Drives Debian's Chromium (``/usr/bin/chromium``; never ``playwright install``) with
   Playwright for Python, signs in as the demo accounts (password ``wholechild-demo-2026``) and
   saves a full-page PNG, 1280 px wide and at most 2,500 px tall, of each page listed in
   ``SHOTS`` into the output folder, and writes its README.md (one line per picture).

Everything shown is synthetic: no real person's data is used. The temporary folder is removed
at the end unless ``--keep`` is given. Exit status: 0 done; 1 a step failed (the failing
command's output, or the page that did not look as expected, is printed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

REPO: Final = Path(__file__).resolve().parents[1]
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
PASSWORD: Final = "wholechild-demo-2026"  # noqa: S105 (the public demo password, README)
WIDTH: Final = 1280
VIEWPORT_HEIGHT: Final = 900
MAX_HEIGHT: Final = 2500
EHCP_DAY: Final = "2025-01-16"  # the synthetic case histories' clocks are realistic on this day
SAFEGUARDING: Final = "safeguarding_enquiry"
ERROR_TITLES: Final = ("Sorry, there is a problem", "Traceback", "Internal Server Error")

# Each picture, in the order taken: file name and one line on what it shows (for the README).
SHOTS: Final = {
    "01-sign-in.png": "The sign-in page (local accounts; OIDC when configured).",
    "02-search-results.png": "A social worker's search by name for a safeguarding enquiry.",
    "03-child.png": "The child page: identity from every source (with the sources that "
    "disagree), involvements and plans, and the start of the chronology.",
    "04-child-linked-records.png": "The same child's source records, with 'Why linked' open: "
    "each comparison's contribution to the match weight.",
    "05-chronology-filtered.png": "The child's chronology filtered to one agency (police).",
    "06-refusal.png": "A clear refusal: a data analyst opening a child's record.",
    "07-review-queue.png": "The clerical-review queue of uncertain pairs (data analyst).",
    "08-review-pair.png": "One pair for review: the two records side by side, the evidence, "
    "and the decision form.",
    "09-dashboard-demand.png": "Dashboards: demand over time (charts and tables, small counts "
    "suppressed).",
    "10-dashboard-linkage.png": "Dashboards: linkage quality measured against ground truth, by "
    "group and source pair.",
    "11-access-report.png": "Who has looked at this child's record (information-governance "
    "officer).",
    "12-ehcp-caseload.png": f"The EHCP caseload on {EHCP_DAY}: clocks overdue and due soon, "
    "open cases by stage and caseworker, 20-week timeliness.",
    "13-ehcp-workbench.png": "The EHCP drafting workbench with a sentence selected: its source "
    "span in the advice is highlighted, with the findings on each sentence.",
    "14-governance.png": "The information-governance home page.",
    "15-agreements.png": "The data-sharing agreements in force, and sharing decisions.",
    "16-subject-access.png": "A subject access export generated, with its redaction review.",
    "17-retention.png": "The retention schedule: what is due under the rules, and holds.",
    "18-legal-holds.png": "Legal holds in force (one synthetic example).",
}


class ScreenshotError(Exception):
    """A step failed: the message says which and why."""


def _say(message: str) -> None:
    sys.stderr.write(f"screenshots: {message}\n")


# -- the synthetic council, through the public command line ------------------------------------


@dataclass(frozen=True)
class Store:
    """The temporary folder holding the council, its store and the server's files."""

    root: Path

    @property
    def council(self) -> Path:
        return self.root / "council"

    @property
    def database(self) -> Path:
        return self.root / "wholechild.db"

    def environment(self) -> dict[str, str]:
        """The environment every command runs in: this store, nothing from the repo's .env."""
        return {
            **os.environ,
            "WHOLECHILD_ENVIRONMENT": "development",
            "WHOLECHILD_DATABASE_URL": f"sqlite:///{self.database}",
            "WHOLECHILD_ASSETS_DIR": str(REPO / "node_modules"),
            "WHOLECHILD_LINKAGE_REPORT_DIR": str(self.root / "linkage-quality"),
            "WHOLECHILD_SUBJECT_ACCESS_DIR": str(self.root / "subject-access"),
        }


def _wholechild() -> str:
    beside = Path(sys.executable).parent / "wholechild"
    found = str(beside) if beside.is_file() else shutil.which("wholechild")
    if not found:
        raise ScreenshotError("the wholechild command is not installed: run `make setup`")
    return found


def _run(store: Store, *args: str) -> str:
    """Run one wholechild command in the store's folder; its output, or a ScreenshotError."""
    done = subprocess.run(
        [_wholechild(), *args], cwd=store.root, env=store.environment(),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise ScreenshotError(
            f"`wholechild {' '.join(args)}` exited {done.returncode}:\n"
            f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return done.stdout


def build_council(store: Store, children: int) -> None:
    """Synthesise, load under agreements, link, measure, seal, load EHCP histories, seed demo
    accounts: the steps of ``make demo-data`` on a smaller council."""
    council, quality = str(store.council), str(store.root / "linkage-quality")
    steps: list[tuple[str, ...]] = [
        ("synth", "--children", str(children), "--seed", "1", "--ehcp-cases", "20",
         "--out", council),
        ("agreements", "load", str(store.council / "agreements.yaml")),
        ("ingest", council),
        ("link",),  # default thresholds: a review band, so the queue has pairs
        ("link", "evaluate", "--truth", str(store.council / "truth"), "--out", quality),
        ("records", "seal", "--adopted"),
        ("ehcp", "load-synthetic", council),
        ("users", "seed-demo"),
    ]  # fmt: skip
    for step in steps:
        _say("wholechild " + " ".join(step[:2]))
        _run(store, *step)


@dataclass(frozen=True)
class Subjects:
    """What the pictures show: a child, that child's name, and another child held."""

    person: int
    name: str
    held: int


def choose_subjects(store: Store) -> Subjects:
    """The child seen in most source systems (police, health and social care or early help
    among them), the sources disagreeing on a name where possible, and another child to hold;
    read straight from the synthetic store."""
    query = """
        SELECT person_id, forename, surname FROM source_record
        WHERE person_id IS NOT NULL AND sealed = 0 AND forename IS NOT NULL
        GROUP BY person_id
        HAVING SUM(source_system = 'synthetic_police_encompass') > 0
           AND SUM(source_system = 'synthetic_child_health_system') > 0
           AND SUM(source_system IN ('cin_census', 'ssda903', 'synthetic_early_help_module')) > 0
        ORDER BY COUNT(DISTINCT source_system) DESC,
                 COUNT(DISTINCT surname_norm) + COUNT(DISTINCT forename_norm) DESC,
                 COUNT(*) DESC, person_id
        LIMIT 2"""
    with sqlite3.connect(store.database) as conn:
        rows = conn.execute(query).fetchall()
    if len(rows) < 2:
        raise ScreenshotError("no child in the council has police, health and care records")
    (person, forename, surname), (held, _, _) = rows
    return Subjects(int(person), f"{forename} {surname}", int(held))


# -- the server ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ScreenshotError(f"`wholechild serve` exited {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/sign-in", timeout=2):  # noqa: S310 (loopback)
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise ScreenshotError(f"the app did not answer on {url} within {seconds:.0f} seconds")


@contextmanager
def serving(store: Store) -> Iterator[str]:
    """``wholechild serve`` on a free loopback port, stopped on the way out; its base URL."""
    port = _free_port()
    log = (store.root / "serve.log").open("wb")
    server = subprocess.Popen(
        [_wholechild(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=store.root, env=store.environment(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


# -- the pictures -------------------------------------------------------------------------------


@dataclass
class Camera:
    """A browser context on the app that saves pictures into ``out``."""

    browser: Any
    url: str
    out: Path
    context: Any = None
    page: Any = None

    def sign_in(self, username: str) -> Any:
        """A fresh context signed in as ``username`` (or signed out when it is empty)."""
        if self.context is not None:
            self.context.close()
        self.context = self.browser.new_context(
            base_url=self.url, viewport={"width": WIDTH, "height": VIEWPORT_HEIGHT}
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        if username:
            self.page.goto("/sign-in")
            self.page.get_by_label("Username").fill(username)
            self.page.get_by_label("Password").fill(PASSWORD)
            self.page.get_by_role("button", name="Sign in", exact=True).click()
            self.page.wait_for_url(re.compile(r"/$"))
        return self.page

    def open(self, path: str, expect: str, status: int = 200) -> Any:
        """Go to ``path``; fail unless it answers ``status`` and its main text has ``expect``."""
        response = self.page.goto(path)
        self.check(expect, status=status, got=response.status if response else None)
        return self.page

    def check(self, expect: str, *, status: int = 200, got: int | None = 200) -> None:
        body = str(self.page.locator("main").inner_text())
        if got != status or expect not in body or any(t in body for t in ERROR_TITLES):
            raise ScreenshotError(
                f"{self.page.url} answered {got} (expected {status}) and its main text "
                f"lacks {expect!r}:\n{body[:800]}"
            )

    def shoot(self, name: str, *, top: float = 0) -> None:
        """A full-page PNG from ``top`` (px) down, at most MAX_HEIGHT px tall."""
        if name not in SHOTS:
            raise ScreenshotError(f"{name} is not listed in SHOTS")
        self.page.wait_for_load_state("networkidle")
        height = float(self.page.evaluate("document.documentElement.scrollHeight"))
        clip = {"x": 0, "y": top, "width": WIDTH, "height": min(MAX_HEIGHT, height - top)}
        self.page.screenshot(path=str(self.out / name), full_page=True, clip=clip)
        _say(f"saved {name}")

    def top_of(self, selector: str) -> float:
        """Where an element starts on the page, less a little margin."""
        box = self.page.locator(selector).first.bounding_box()
        if box is None:
            raise ScreenshotError(f"{selector} is not on {self.page.url}")
        scrolled = float(self.page.evaluate("window.scrollY"))
        return max(0.0, float(box["y"]) + scrolled - 20)


def social_worker_pages(camera: Camera, who: Subjects) -> None:
    page = camera.sign_in("")
    camera.open("/sign-in", "Sign in")
    camera.shoot("01-sign-in.png")
    page = camera.sign_in("social.worker")
    camera.open(f"/search?q={who.name.replace(' ', '+')}&purpose={SAFEGUARDING}", who.name)
    camera.shoot("02-search-results.png")
    child = f"/children/{who.person}?purpose={SAFEGUARDING}"
    camera.open(child, "Chronology")
    camera.shoot("03-child.png")
    page.locator("h2#records ~ * details summary").first.click()
    page.evaluate("document.activeElement.blur()")  # no focus ring in the picture
    camera.shoot("04-child-linked-records.png", top=camera.top_of("h2#records"))
    camera.open(child, "Chronology")
    page.locator("#agency").select_option("police")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"agency=police"))
    camera.check("Chronology")
    camera.shoot("05-chronology-filtered.png", top=camera.top_of("h2#chronology"))


def data_analyst_pages(camera: Camera, who: Subjects) -> None:
    page = camera.sign_in("data.analyst")
    camera.open(f"/children/{who.person}?purpose=statutory_return", "You do not have access", 403)
    camera.shoot("06-refusal.png")
    camera.open("/review", "Review")
    camera.shoot("07-review-queue.png")
    page.get_by_role("link", name=re.compile(r"^Review pair \d+$")).first.click()
    camera.check("Save decision")
    camera.shoot("08-review-pair.png")
    camera.open("/dashboards", "Demand over time")
    camera.shoot("09-dashboard-demand.png")
    camera.shoot("10-dashboard-linkage.png", top=camera.top_of("h2#linkage"))


def ehcp_pages(camera: Camera, store: Store) -> None:
    page = camera.sign_in("send.caseworker")
    camera.open(f"/ehcp?on={EHCP_DAY}", "EHCP caseload")
    camera.shoot("12-ehcp-caseload.png")
    advice = sorted(
        str(p) for p in (store.council / "advice" / "case-0001").iterdir() if p.suffix != ".json"
    )
    camera.open("/ehcp/cases/1", "Draft a plan from advice")
    page.set_input_files("#advice", advice)
    page.get_by_role("button", name="Draft the plan").click()
    page.wait_for_url(re.compile(r"/ehcp/drafts/\d+$"))
    camera.check("The advice")
    sentences = page.locator(".app-sentence__text")
    sentences.nth(min(3, sentences.count() - 1)).click()
    if page.locator(".app-source--highlight").count() == 0:
        raise ScreenshotError("selecting a sentence highlighted no source span")
    camera.shoot("13-ehcp-workbench.png")


def governance_pages(camera: Camera, who: Subjects) -> None:
    page = camera.sign_in("ig.officer")
    camera.open(f"/children/{who.person}/access-report?purpose=audit_oversight", "social.worker")
    camera.shoot("11-access-report.png")
    camera.open("/governance", "Information governance")
    camera.shoot("14-governance.png")
    camera.open("/governance/agreements", "Data-sharing agreements")
    camera.shoot("15-agreements.png")
    camera.open(f"/governance/subject-access/{who.person}", "Subject access export")
    page.get_by_role("button", name="Generate the export").click()
    camera.check("Subject access export generated")
    camera.shoot("16-subject-access.png")
    camera.open("/governance/retention", "Retention schedule")
    camera.shoot("17-retention.png")
    camera.open("/governance/legal-holds", "In force")
    camera.shoot("18-legal-holds.png")


def take_pictures(url: str, out: Path, store: Store, who: Subjects) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        camera = Camera(browser, url, out)
        try:
            social_worker_pages(camera, who)
            data_analyst_pages(camera, who)
            ehcp_pages(camera, store)
            governance_pages(camera, who)
        finally:
            browser.close()


def write_readme(out: Path, children: int) -> None:
    """docs/screenshots/README.md: each picture with one line on what it shows."""
    lines = [
        "# Screenshots",
        "",
        "The main pages of wholechild, photographed on a synthetic council of "
        f"{children:,} children (seed 1):",
        "no real person's data. Each picture is a full page, 1280 px wide, cut at "
        f"{MAX_HEIGHT:,} px.",
        "",
        *(f"- [`{name}`]({name}): {what}" for name, what in SHOTS.items()),
        "",
        "## Regenerating them",
        "",
        "```sh",
        "make screenshots   # builds the council, serves it and photographs it",
        "```",
        "",
        "This file is written by `scripts/screenshots.py` (its docstring says how); edit the",
        "descriptions in the script's `SHOTS`, not here.",
        "",
    ]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")


# -- the command ----------------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--children", type=int, default=1500, help="children in the council")
    parser.add_argument("--keep", action="store_true", help="keep the temporary council")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    if not CHROMIUM.is_file():
        _say(f"{CHROMIUM} is not installed: run `make browser`")
        return 1
    store = Store(Path(tempfile.mkdtemp(prefix="wholechild-screenshots-")))
    try:
        build_council(store, args.children)
        who = choose_subjects(store)
        _run(store, "hold", "place", "--person", str(who.held), "--actor", "screenshots",
             "--reason", "Synthetic example: civil claim CC-0001 (screenshots)")  # fmt: skip
        args.out.mkdir(parents=True, exist_ok=True)
        with serving(store) as url:
            take_pictures(url, args.out, store, who)
        write_readme(args.out, args.children)
    except ScreenshotError as exc:
        _say(f"failed: {exc}")
        return 1
    finally:
        if args.keep:
            _say(f"the council and its store are in {store.root}")
        else:
            shutil.rmtree(store.root, ignore_errors=True)
    _say(f"{len(SHOTS)} pictures in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
