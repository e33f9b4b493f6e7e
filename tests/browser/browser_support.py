"""What the browser tests share: the council they run on and the accessibility check."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
from sqlalchemy import Engine

REPO: Final = Path(__file__).resolve().parents[2]
AXE: Final = REPO / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS: Final = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING: Final = frozenset({"serious", "critical"})


@dataclass(frozen=True)
class Council:
    """The running app and what the journeys need to know about its data."""

    url: str
    engine: Engine
    person: int  # has social care, police and health records, none sealed
    name: tuple[str, str]  # that person's forename and surname, as a record holds them
    review_items: tuple[int, ...]  # open pairs for clerical review


_AXE_RUN: Final = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now (all impacts)."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is not at {AXE}: run `make setup` (npm ci)")
    # Evaluated through the DevTools protocol, so the app's Content-Security-Policy (which
    # rightly forbids inline script) stays on while axe runs.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    return list(page.evaluate(_AXE_RUN, WCAG_TAGS))


def assert_accessible(page: Any, what: str) -> None:
    """No serious or critical axe-core violation of WCAG 2.2 AA on this page."""
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, f"{what} ({page.url}):\n{json.dumps(blocking, indent=2)}"
