"""The information-governance officer's journeys in real Chromium, every governance page
checked with axe-core (WCAG 2.2 AA: no serious or critical violation): the agreements list,
adding an agreement with one mistake then fixed, a subject access export generated and
downloaded, the retention report and its confirmation step, legal holds, and a correction to a
child's surname seen on the child's page.

The council is shared with the other browser journeys, so nothing here deletes records
(retention is reported, and its confirmation refused, never applied) or changes the child the
other journeys search for."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from browser.browser_support import Council, assert_accessible
from web_support import PASSWORD
from wholechild.linkage.truth import record_id_hex
from wholechild.storage.schema import AuditEvent, DataSharingAgreement, SourceRecord

pytestmark = pytest.mark.browser

SAR_FOLDER = Path("var/subject-access")  # the browser council's settings keep the default


def sign_in_as_ig_officer(page: Any) -> None:
    page.goto("/sign-in")
    page.get_by_label("Username").fill("ig.officer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))


def heading(page: Any) -> str:
    return str(page.locator("h1").first.inner_text()).strip()


def audits(council: Council, action: str) -> int:
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    with council.engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def fill_agreement(page: Any, *, with_review_date: bool) -> None:
    page.get_by_label("Reference").fill("DSA-BROWSER-01")
    page.get_by_label("Title", exact=True).fill("Police notifications to children's services")
    page.get_by_label("Parties").fill("Anytown Council\nAnytown Police")
    page.get_by_label("Source systems").fill("anytown-police-browser")
    page.locator('input[name="partner_category"][value="police"]').check()
    page.locator('input[name="purposes"][value="safeguarding_enquiry"]').check()
    page.locator('input[name="categories"][value="police"]').check()
    page.select_option("#lawful_basis", "Art. 6(1)(e)")
    page.select_option("#special_category_condition", "Art. 9(2)(g)")
    page.select_option("#schedule1_condition", "Sch.1 Pt.2 para 18")
    for part, value in (("day", "1"), ("month", "4"), ("year", "2024")):
        page.locator(f"#start_date-{part}").fill(value)
    review = ("1", "4", "2030") if with_review_date else ("", "", "")
    for part, value in zip(("day", "month", "year"), review, strict=True):
        page.locator(f"#review_date-{part}").fill(value)


def test_agreements_list_and_adding_one_with_a_mistake(page: Any, council: Council) -> None:
    sign_in_as_ig_officer(page)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Governance").click()
    assert heading(page) == "Information governance"
    assert_accessible(page, "governance home")
    page.get_by_role("link", name="Data-sharing agreements and sharing decisions").click()
    assert heading(page) == "Data-sharing agreements"
    assert page.locator("tbody .govuk-tag").count() >= 1  # the council's agreements, tagged
    assert_accessible(page, "agreements list")
    page.get_by_role("button", name="Add an agreement").click()
    assert_accessible(page, "add-agreement form")
    fill_agreement(page, with_review_date=False)  # open-ended with no review date: one problem
    page.get_by_role("button", name="Record the agreement").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.locator("li").count() == 1
    assert "open-ended agreement needs a review date" in summary.inner_text()
    assert page.title().startswith("Error:")
    assert_accessible(page, "add-agreement form with a problem")
    summary.get_by_role("link").click()  # the summary's link takes the user to the field
    assert page.evaluate("document.activeElement.id") == "review_date-day"
    for part, value in (("day", "1"), ("month", "4"), ("year", "2030")):
        page.locator(f"#review_date-{part}").fill(value)
    page.get_by_role("button", name="Record the agreement").click()
    page.wait_for_url(re.compile(r"/governance/agreement\?ref=DSA-BROWSER-01"))
    assert "Data-sharing agreement recorded" in page.locator("main").inner_text()
    assert "In force" in page.locator("main").inner_text()
    assert_accessible(page, "an agreement's page")
    with council.engine.connect() as conn:
        stored = conn.scalar(
            select(func.count()).where(DataSharingAgreement.ref == "DSA-BROWSER-01")
        )
    assert stored == 1 and audits(council, "agreement.record") >= 1
    page.goto("/governance/sharing-decisions/new")
    assert_accessible(page, "sharing decision form")


def test_subject_access_export_generated_and_downloaded(
    page: Any, council: Council, tmp_path: Path
) -> None:
    before = set((SAR_FOLDER / str(council.person)).glob("*.zip"))
    try:
        sign_in_as_ig_officer(page)
        page.goto(f"/children/{council.person}?purpose=subject_access_request")
        page.get_by_role("link", name="Subject access export").click()
        assert heading(page) == "Subject access export"
        assert_accessible(page, "subject access page")
        page.get_by_role("button", name="Generate the export").click()
        assert "Subject access export generated" in page.locator("main").inner_text()
        flagged = page.locator("#redaction ~ .app-table-wrapper tbody tr")
        assert flagged.count() >= 1  # the rows as the agencies sent them, at least
        assert page.get_by_role("link", name=re.compile("access report")).count() == 1
        assert_accessible(page, "subject access page with an export")
        with page.expect_download() as download_info:
            page.get_by_role("button", name=re.compile(r"^Download subject-access-")).click()
        saved = tmp_path / "export.zip"
        download_info.value.save_as(saved)
        with zipfile.ZipFile(saved) as archive:
            names = set(archive.namelist())
            pdf = archive.read(f"subject-access-{council.person}.pdf")
        assert f"subject-access-{council.person}.json" in names and "REDACTION-REVIEW.md" in names
        assert pdf.startswith(b"%PDF")
        page.get_by_role("button", name=re.compile(r"^Delete subject-access-")).click()
        assert "deleted from the server" in page.locator("main").inner_text()
        assert set((SAR_FOLDER / str(council.person)).glob("*.zip")) == before
    finally:  # the export holds the child's data: leave none behind
        for made in set((SAR_FOLDER / str(council.person)).glob("*.zip")) - before:
            made.unlink()


def test_retention_report_legal_holds_and_the_confirmation_step(
    page: Any, council: Council
) -> None:
    sign_in_as_ig_officer(page)
    page.goto("/governance/retention?as_of=2200-01-01")
    assert heading(page).startswith("Retention schedule on 01 January 2200")
    assert_accessible(page, "retention report")
    page.get_by_role("button", name="Apply the rules").click()
    assert heading(page) == "Are you sure you want to apply the retention rules?"
    assert_accessible(page, "retention confirmation")
    with council.engine.connect() as conn:
        records = conn.scalar(select(func.count()).select_from(SourceRecord))
    page.get_by_role("button", name="Apply the rules").click()  # not confirmed
    assert page.locator(".govuk-error-summary li").count() == 1
    assert_accessible(page, "retention confirmation with a problem")
    with council.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(SourceRecord)) == records
    page.get_by_role("link", name="Cancel").click()
    page.goto("/governance/legal-holds")
    assert_accessible(page, "legal holds")
    page.get_by_label("Person id").fill(str(council.person))
    page.get_by_label("Reason").fill("Complaint CMP-2025-031 under investigation")
    page.get_by_role("button", name="Place the hold").click()
    assert "Legal hold placed" in page.locator("main").inner_text()
    row = page.locator("tbody tr", has_text=f"Person {council.person}").first
    hold = row.locator("td").first.inner_text().strip()
    page.get_by_label(f"Why can hold {hold} end?").fill("Complaint closed")
    page.get_by_role("button", name=f"Release hold {hold}").click()
    assert "Legal hold released" in page.locator("main").inner_text()
    assert_accessible(page, "legal holds after a release")


def _another_child(council: Council) -> tuple[int, str]:
    """A child other than the one the other journeys search for, and a record with a surname."""
    with council.engine.connect() as conn:
        row = conn.execute(
            select(SourceRecord.person_id, SourceRecord.id)
            .where(
                SourceRecord.person_id.is_not(None),
                SourceRecord.person_id != council.person,
                SourceRecord.sealed.is_(False),
                SourceRecord.surname.is_not(None),
            )
            .order_by(SourceRecord.person_id.desc())
            .limit(1)
        ).first()
    assert row is not None
    return int(row.person_id), record_id_hex(row.id)


def test_correcting_a_surname_shows_on_the_child_page(page: Any, council: Council) -> None:
    person, record = _another_child(council)
    sign_in_as_ig_officer(page)
    page.goto(f"/children/{person}?purpose=subject_access_request")
    page.get_by_role("link", name="Correct this value (Surname)").click()
    assert heading(page) == "Correct the surname"
    assert_accessible(page, "correction form")
    page.locator(f'input[name="record_id"][value="{record}"]').check()
    page.get_by_label("Correct surname").fill("Abernethy-Quist")
    page.get_by_label("Why is the value wrong?").fill("Birth certificate checked at the office")
    page.get_by_label("Who asked for the correction?").fill("The young person")
    page.get_by_label("Yes, today").check()
    page.get_by_label("Reference of the letter or message to the source agency").fill("LTR-88")
    page.get_by_role("button", name="Record the correction").click()
    assert re.search(r"Correction \d+ recorded", page.locator("main").inner_text())
    assert_accessible(page, "corrections page after a correction")
    page.get_by_role("link", name="See the corrected value on the child's page").click()
    surname = page.locator(".govuk-summary-list__row", has_text="Surname").first
    assert "Abernethy-Quist" in surname.inner_text()
    assert audits(council, "rectification.rectify") >= 1
    assert audits(council, "rectification.source_notified") >= 1
