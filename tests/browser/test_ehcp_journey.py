"""The EHCP drafting journey in real Chromium, each page checked with axe-core (WCAG 2.2 AA: no
serious or critical violation): the caseload, a case, upload advice, select a sentence and see
its source highlighted, fix a flagged Section F provision (an unsupported wording refused
first), sign off, export and open the DOCX."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import docx
import pytest
from sqlalchemy import insert, select

from browser.browser_support import Council, assert_accessible
from browser.test_journeys import heading, sign_in
from wholechild.actions.ehcp_cases import open_case
from wholechild.storage.schema import EhcpCase, EhcpDraft, Person

pytestmark = pytest.mark.browser

ADVICE = Path(__file__).resolve().parents[1] / "fixtures" / "advice"
PHONICS = "7461461fcc79"  # Section F: "in a small group" (vague wording), no group size
FIXED = (
    "What: a structured phonics programme; Who: a trained teaching assistant; "
    "How often: daily; How long: 20 minutes; Group size: 1:1."
)


@pytest.fixture(scope="module")
def case_id(council: Council) -> int:
    """An EHCP case allocated to the demo SEND caseworker, its 6-week decision overdue."""
    with council.engine.begin() as conn:
        existing = conn.scalar(select(EhcpCase.id).where(EhcpCase.caseworker == "send.caseworker"))
        if existing is not None:
            return int(existing)
        person = conn.execute(
            insert(Person).returning(Person.id), {"created_at": datetime.now(UTC)}
        ).scalar_one()
    received = datetime.now(UTC).date() - timedelta(weeks=8)
    return open_case(
        council.engine, person_id=int(person), caseworker="send.caseworker", team="North",
        request_received_on=received, actor="test", purpose="ehc_needs_assessment",
    )  # fmt: skip


def _sentence(page: Any) -> Any:
    return page.locator(f"#sentence-{PHONICS}")


def _upload_advice(page: Any, case_id: int) -> int:
    page.goto(f"/ehcp/cases/{case_id}")
    assert heading(page) == f"EHCP case {case_id}"
    assert_accessible(page, "EHCP case page")
    page.set_input_files("#advice", sorted(str(p) for p in ADVICE.glob("*.txt")))
    page.get_by_role("button", name="Draft the plan").click()
    page.wait_for_url(re.compile(r"/ehcp/drafts/\d+$"))
    found = re.search(r"/ehcp/drafts/(\d+)$", page.url)
    assert found
    return int(found.group(1))


def _download_docx(page: Any, folder: Path) -> str:
    """Click "Download the draft plan (DOCX)"; the document's text."""
    with page.expect_download() as download:
        page.locator("#export-docx").click()
    saved = folder / "plan.docx"
    download.value.save_as(saved)
    return "\n".join(p.text for p in docx.Document(str(saved)).paragraphs)


def test_the_caseload_lists_my_case_and_its_overdue_clock(
    page: Any, council: Council, case_id: int
) -> None:
    sign_in(page, "send.caseworker")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="EHCP caseload").click()
    page.wait_for_url(re.compile(r"/ehcp$"))
    assert heading(page) == "EHCP caseload"
    assert_accessible(page, "EHCP caseload")
    assert page.locator("#cases-table").get_by_role("link", name=f"Case {case_id}").is_visible()
    overdue = page.locator("#overdue-table").inner_text()
    assert f"Case {case_id}" in overdue and "send.caseworker" in overdue


def test_select_a_sentence_and_see_its_source_highlighted(
    page: Any, council: Council, case_id: int
) -> None:
    sign_in(page, "send.caseworker")
    _upload_advice(page, case_id)
    assert_accessible(page, "drafting workbench")
    assert page.locator(".app-source--highlight").count() == 0
    _sentence(page).locator(".app-sentence__text").click()
    highlighted = page.locator(".app-source--highlight")
    assert highlighted.count() == 1
    source = " ".join(highlighted.first.inner_text().split())
    for fact in ("phonics", "20 minutes", "daily", "teaching assistant"):  # the sentence's facts
        assert fact in source and fact in _sentence(page).inner_text()
    assert highlighted.first.is_visible()
    assert "app-sentence--selected" in (_sentence(page).get_attribute("class") or "")
    # Another sentence: the highlight moves.
    page.locator(".app-sentence__text").first.click()
    assert page.locator(".app-source--highlight").count() >= 1
    assert "app-sentence--selected" not in (_sentence(page).get_attribute("class") or "")


def test_fix_a_flagged_provision_sign_off_and_export(
    page: Any, council: Council, case_id: int, tmp_path: Path
) -> None:
    sign_in(page, "send.caseworker")
    draft_id = _upload_advice(page, case_id)
    flagged = _sentence(page)
    assert flagged.locator('[data-rule="vague_wording"]').count() == 1
    assert flagged.locator('[data-rule="provision_group_size"]').count() == 1

    flagged.locator(".app-sentence__edit").click()
    page.wait_for_url(re.compile(rf"/sentences/{PHONICS}$"))
    assert_accessible(page, "edit a sentence")
    page.get_by_label("The plan's wording").fill("What: phonics daily for 45 minutes.")
    page.get_by_role("button", name="Save the sentence").click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert "45 minutes" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page, "edit a sentence, refused")

    page.get_by_label("The plan's wording").fill(FIXED)
    page.get_by_role("button", name="Save the sentence").click()
    page.wait_for_url(re.compile(rf"/ehcp/drafts/{draft_id}\?done=edited"))
    fixed = _sentence(page)
    assert FIXED in fixed.inner_text()
    assert fixed.locator('[data-rule="vague_wording"]').count() == 0
    assert fixed.locator('[data-rule="provision_group_size"]').count() == 0
    assert "app-sentence--selected" in (fixed.get_attribute("class") or "")  # back where it was

    page.get_by_role("button", name="Sign off the draft plan").click()
    page.wait_for_url(re.compile(r"done=signed"))
    assert "Signed off by send.caseworker" in page.locator("#draft-status").inner_text()
    assert_accessible(page, "signed-off draft")
    with council.engine.connect() as conn:
        assert conn.scalar(select(EhcpDraft.signed_off_by).where(EhcpDraft.id == draft_id)) == (
            "send.caseworker"
        )

    text = _download_docx(page, tmp_path)
    assert FIXED.rstrip(".") in text and "Provenance appendix" in text
