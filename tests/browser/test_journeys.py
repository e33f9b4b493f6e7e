"""The main journeys in real Chromium, each page checked with axe-core (WCAG 2.2 AA: no
serious or critical violation): sign in and out, search with a misspelt name and open a child,
filter the chronology, review a link, be refused (a clear page, never an error), break glass,
dashboards, the access report, a missing page and account administration."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from browser.browser_support import Council, assert_accessible, axe_violations
from web_support import PASSWORD
from wholechild.storage.schema import AuditEvent, ReviewDecision, ReviewItem

pytestmark = pytest.mark.browser

JUSTIFICATION = "Strategy meeting today: risk of significant harm reported"
ERROR_PAGE_TITLES = ("Sorry, there is a problem", "Traceback", "Internal Server Error")


def sign_in(page: Any, username: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))


def heading(page: Any) -> str:
    return str(page.locator("h1").first.inner_text()).strip()


def assert_clear_refusal(page: Any, reason: str) -> None:
    assert heading(page) == "You do not have access"
    body = page.locator("main").inner_text()
    assert reason in body
    assert not any(t in page.content() for t in ERROR_PAGE_TITLES)


def misspelt(surname: str) -> str:
    """A letter dropped from the middle, as someone typing from a phone call might."""
    return surname[0] + surname[2:] if len(surname) > 4 else surname


def audit_count(council: Council, **where: Any) -> int:
    query = select(func.count()).select_from(AuditEvent)
    for column, value in where.items():
        query = query.where(getattr(AuditEvent, column) == value)
    with council.engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def test_sign_in_and_sign_out(page: Any, council: Council) -> None:
    page.goto("/")
    page.wait_for_url(re.compile(r"/sign-in"))  # not signed in: to the sign-in page
    assert_accessible(page, "sign-in page")
    page.get_by_label("Username").fill("social.worker")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page, "sign-in page with an error")
    sign_in(page, "social.worker")
    assert heading(page) == "What you can do"
    assert "Signed in as Sam Social Worker" in page.content()
    assert_accessible(page, "home page")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in"))
    page.goto("/search")
    assert "/sign-in" in page.url  # the session is gone


def test_search_with_a_misspelt_name_and_open_the_child(page: Any, council: Council) -> None:
    forename, surname = council.name
    sign_in(page, "social.worker")
    page.get_by_role("link", name="Search").first.click()
    assert_accessible(page, "search page")
    page.locator("#q").fill(f"{forename} {misspelt(surname)}")
    page.get_by_label("Safeguarding enquiry").check()
    page.get_by_role("button", name="Search").click()
    link = page.locator(f'a[href="/children/{council.person}?purpose=safeguarding_enquiry"]')
    assert link.count() == 1
    assert_accessible(page, "search results")
    link.click()
    page.wait_for_url(re.compile(rf"/children/{council.person}\?purpose=safeguarding_enquiry"))
    assert forename in heading(page)
    for section in ("Identity", "Involvements and plans", "Chronology"):
        assert page.get_by_role("heading", name=section).count() >= 1
    assert_accessible(page, "child page")


def _chronology(page: Any) -> list[tuple[str, str]]:
    """(date, agency) of each chronology row shown."""
    table = page.locator("h2#chronology ~ div.app-table-wrapper").first.locator("tbody tr")
    rows = []
    for i in range(table.count()):
        cells = table.nth(i).locator("td")
        rows.append((cells.nth(0).inner_text().strip(), cells.nth(3).inner_text().strip()))
    return rows


def test_filter_the_chronology_by_agency_and_by_date(page: Any, council: Council) -> None:
    sign_in(page, "social.worker")
    page.goto(f"/children/{council.person}?purpose=safeguarding_enquiry")
    everything = _chronology(page)
    assert {"police", "health"} <= {agency for _, agency in everything}
    page.locator("#agency").select_option("police")
    page.get_by_role("button", name="Apply filters").click()
    police = _chronology(page)
    assert police and {agency for _, agency in police} == {"police"}
    assert len(police) < len(everything)
    assert_accessible(page, "chronology filtered by agency")

    dated = sorted(date.fromisoformat(d) for d, _ in everything if d[:1].isdigit())
    start, end = dated[len(dated) // 4], dated[(3 * len(dated)) // 4]
    page.goto(f"/children/{council.person}?purpose=safeguarding_enquiry")
    page.locator("#from").fill(f"{start.day}/{start.month}/{start.year}")
    page.locator("#to").fill(f"{end.day}/{end.month}/{end.year}")
    page.get_by_role("button", name="Apply filters").click()
    window = _chronology(page)
    assert window and len(window) < len(everything)
    assert all(start <= date.fromisoformat(d) <= end for d, _ in window if d[:1].isdigit())
    assert_accessible(page, "chronology filtered by date")


@pytest.mark.parametrize(("index", "choice", "stored"), [(0, "Not the same child", "not_same"),
                                                        (1, "The same child", "same")])  # fmt: skip
def test_review_a_link_and_see_it_recorded(
    page: Any, council: Council, index: int, choice: str, stored: str
) -> None:
    item = council.review_items[index]
    sign_in(page, "data.analyst")
    page.get_by_role("link", name="Review queue").first.click()
    assert_accessible(page, "review queue")
    page.get_by_role("link", name=f"Review pair {item}", exact=True).click()
    assert_accessible(page, "review pair")
    form = page.locator("form[action$='/decision']")
    form.get_by_label(choice, exact=True).check()
    form.get_by_label("Reason").fill("Different dates of birth and schools")
    form.get_by_role("button", name="Save decision").click()
    page.wait_for_url(re.compile(r"/review\?done=decided"))
    assert "Decision saved" in page.content()
    assert page.get_by_role("link", name=f"Review pair {item}", exact=True).count() == 0
    with council.engine.connect() as conn:
        pair = conn.execute(select(ReviewItem).where(ReviewItem.id == item)).one()
        decision = conn.execute(
            select(ReviewDecision).where(
                ReviewDecision.record_l == pair.record_l, ReviewDecision.record_r == pair.record_r
            )
        ).one()
    assert pair.status == "decided"
    assert (decision.decision, decision.reviewer) == (stored, "data.analyst")
    assert decision.reason == "Different dates of birth and schools"


def test_refused_for_role_and_for_purpose_with_a_clear_page(page: Any, council: Council) -> None:
    sign_in(page, "social.worker")
    response = page.goto("/dashboards")
    assert response.status == 403
    assert_clear_refusal(page, "may not see dashboards")
    assert_accessible(page, "refusal page (role)")

    response = page.goto(f"/children/{council.person}")  # no purpose declared
    assert response.status == 403
    assert_clear_refusal(page, "a purpose is required")
    assert_accessible(page, "refusal page (purpose missing)")
    page.get_by_label("Safeguarding enquiry").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"purpose=safeguarding_enquiry"))
    assert page.get_by_role("heading", name="Chronology").count() == 1

    response = page.goto(f"/children/{council.person}?purpose=statutory_return")
    assert response.status == 403
    assert_clear_refusal(page, "only for")
    assert_accessible(page, "refusal page (purpose not allowed)")


def test_break_glass_opens_withheld_records_and_is_flagged(page: Any, council: Council) -> None:
    flagged = audit_count(council, flagged=True)
    sign_in(page, "early.help")
    page.goto(f"/children/{council.person}?purpose=early_help_assessment")
    assert page.get_by_role("heading", name="Some records are withheld for this purpose").count()
    assert_accessible(page, "child page with withheld records")
    page.get_by_text("Use emergency access (break glass)").click()  # opens the details
    page.get_by_label("Why do you need to see these records now?").fill(JUSTIFICATION)
    page.get_by_role("button", name="Use emergency access").click()
    assert "You are using emergency access" in page.content()
    assert "police" in {agency for _, agency in _chronology(page)}
    assert_accessible(page, "child page under break-glass")
    assert audit_count(council, flagged=True) > flagged


def test_dashboards_show_charts_and_tables(page: Any, council: Council) -> None:
    sign_in(page, "data.analyst")
    page.get_by_role("link", name="Dashboards").first.click()
    assert heading(page) == "Dashboards"
    charts = page.locator('svg[role="img"]')
    assert charts.count() >= 5
    for i in range(charts.count()):
        labelled = charts.nth(i).get_attribute("aria-labelledby") or ""
        assert len(labelled.split()) == 2  # a title and a description
    assert page.locator("#demand-table tbody tr").count() == 25  # 24 months and the total
    assert page.get_by_role("heading", name="Measured against ground truth").count() == 1
    assert page.locator("#groups-table tbody tr").count() >= 1
    assert "[c] means the count is hidden" in page.content()
    assert_accessible(page, "dashboards")


def test_access_report_for_an_information_governance_officer(page: Any, council: Council) -> None:
    sign_in(page, "ig.officer")
    page.goto(f"/children/{council.person}/access-report?purpose=audit_oversight")
    assert heading(page) == "Who has looked at this child's record"
    assert_accessible(page, "access report")


def test_a_missing_page_is_a_clear_404(page: Any, council: Council) -> None:
    sign_in(page, "social.worker")
    response = page.goto("/no-such-page")
    assert response.status == 404
    assert heading(page) == "Page not found"
    assert_accessible(page, "404 page")


def test_account_administration(page: Any, council: Council) -> None:
    sign_in(page, "admin")
    page.get_by_role("link", name="Accounts").first.click()
    assert "social.worker" in page.content()
    assert_accessible(page, "account administration")


def test_the_accessibility_check_catches_a_violation(page: Any, council: Council) -> None:
    """axe-core really runs: an image without a text alternative is reported as critical."""
    page.goto("/sign-in")
    page.evaluate(
        "() => { const i = document.createElement('img'); i.src = '/assets/images/favicon.svg';"
        " document.querySelector('main').appendChild(i); }"
    )
    found = {v["id"]: v["impact"] for v in axe_violations(page)}
    assert found.get("image-alt") == "critical"
