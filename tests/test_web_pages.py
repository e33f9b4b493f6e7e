"""The pages on a small linked synthetic council (SQLite): each renders for a role allowed to
use it, refuses the others with a clear page (403, never a 500), and every change it makes is
audited in the same transaction."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import Engine, func, select, update

from web_support import (
    PASSWORD,
    build_council,
    council_copy,
    csrf_from,
    fast_password_hashes,  # noqa: F401 - autouse fixture
    page_csrf,
    pair_item,
    person_with,
    scalar,
    signed_in,
    web_settings,
)
from wholechild.storage.db import make_engine
from wholechild.storage.schema import (
    AuditEvent,
    ReviewDecision,
    ReviewItem,
    SourceRecord,
    UserAccount,
)
from wholechild.web.app import create_app

JUSTIFICATION = "Strategy meeting today: risk of significant harm reported"


@pytest.fixture(scope="module")
def council_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_council(tmp_path_factory.mktemp("web_council"))


@pytest.fixture
def engine(council_db: Path, tmp_path: Path) -> Iterator[Engine]:
    engine = council_copy(council_db, tmp_path)
    yield engine
    engine.dispose()


def _audit_count(engine: Engine) -> int:
    return int(scalar(engine, select(func.count()).select_from(AuditEvent)))


def _fill(path: str, engine: Engine) -> str:
    person = person_with(engine, "police")
    return path.replace("{pid}", str(person)).replace("{item}", str(pair_item(engine)))


def _assert_safe(response: Any) -> None:
    assert "Traceback" not in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["cache-control"] == "no-store"


ALLOWED = [
    ("social.worker", "/"),
    ("social.worker", "/search"),
    ("social.worker", "/children/{pid}?purpose=safeguarding_enquiry"),
    ("police.officer", "/children/{pid}?purpose=safeguarding_enquiry"),
    ("early.help", "/children/{pid}?purpose=early_help_assessment"),
    ("ig.officer", "/children/{pid}?purpose=subject_access_request"),
    ("ig.officer", "/children/{pid}/access-report?purpose=audit_oversight"),
    ("ig.officer", "/children/{pid}/access-report.csv?purpose=audit_oversight"),
    ("data.analyst", "/review"),
    ("data.analyst", "/review/{item}"),
    ("admin", "/admin/accounts"),
]

REFUSED = [
    ("social.worker", "/children/{pid}", "a purpose is required"),
    ("data.analyst", "/children/{pid}?purpose=safeguarding_enquiry", "may not open a child"),
    ("police.officer", "/children/{pid}?purpose=statutory_return", "only for"),
    ("social.worker", "/review", "may not review"),
    ("police.officer", "/review/{item}", "may not review"),
    ("social.worker", "/admin/accounts", "may not manage user accounts"),
    ("social.worker", "/children/{pid}/access-report?purpose=audit_oversight", "access report"),
    ("social.worker", "/search?q=Smith&purpose=statutory_return", "only for"),
]


@pytest.mark.parametrize(("username", "path"), ALLOWED)
def test_page_renders_for_an_allowed_role(engine: Engine, username: str, path: str) -> None:
    response = signed_in(engine, username).get(_fill(path, engine))
    assert response.status_code == 200, response.text[-2000:]
    _assert_safe(response)


@pytest.mark.parametrize(("username", "path", "reason"), REFUSED)
def test_page_refuses_with_a_clear_page(
    engine: Engine, username: str, path: str, reason: str
) -> None:
    before = _audit_count(engine)
    response = signed_in(engine, username).get(_fill(path, engine))
    assert response.status_code == 403
    assert "You do not have access" in response.text and reason in response.text
    _assert_safe(response)
    assert _audit_count(engine) > before  # the refusal itself is recorded


def test_missing_purpose_offers_only_the_purposes_the_role_may_use(engine: Engine) -> None:
    page = signed_in(engine, "social.worker").get(_fill("/children/{pid}", engine))
    assert "Why are you looking at this record?" in page.text
    assert 'value="safeguarding_enquiry"' in page.text
    assert 'value="statutory_return"' not in page.text


def test_search_finds_a_misspelt_name_and_links_with_the_purpose(engine: Engine) -> None:
    person = person_with(engine, "children's social care")
    with engine.connect() as conn:
        forename, surname = conn.execute(
            select(SourceRecord.forename, SourceRecord.surname).where(
                SourceRecord.person_id == person, SourceRecord.surname.is_not(None)
            )
        ).first()  # type: ignore[misc]
    misspelt = surname[0] + surname[2:] if len(surname) > 4 else surname  # a letter dropped
    client = signed_in(engine, "social.worker")
    response = client.get(
        "/search", params={"q": f"{forename} {misspelt}", "purpose": "safeguarding_enquiry"}
    )
    assert response.status_code == 200
    assert f'href="/children/{person}?purpose=safeguarding_enquiry"' in response.text


def test_search_by_identifier(engine: Engine) -> None:
    with engine.connect() as conn:
        person, nhs = conn.execute(
            select(SourceRecord.person_id, SourceRecord.nhs_number).where(
                SourceRecord.nhs_number.is_not(None), SourceRecord.person_id.is_not(None)
            )
        ).first()  # type: ignore[misc]
    spaced = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"  # as people write NHS numbers
    response = signed_in(engine, "health.visitor").get(
        "/search", params={"q": spaced, "purpose": "safeguarding_enquiry"}
    )
    assert response.status_code == 200
    assert f'href="/children/{person}?purpose=safeguarding_enquiry"' in response.text


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"q": "Smith"}, "Choose why you are searching"),
        ({"purpose": "safeguarding_enquiry"}, "Enter a name, an identifier or a date of birth"),
        (
            {"q": "Smith", "purpose": "safeguarding_enquiry", "dob-day": "31", "dob-month": "2",
             "dob-year": "2015"},
            "Date of birth must be a real date",
        ),
    ],
)  # fmt: skip
def test_search_lists_every_problem(engine: Engine, params: dict[str, str], problem: str) -> None:
    response = signed_in(engine, "social.worker").get("/search", params=params)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text and problem in response.text


def test_child_page_shows_identity_chronology_and_why_linked(engine: Engine) -> None:
    path = _fill("/children/{pid}?purpose=safeguarding_enquiry", engine)
    text = signed_in(engine, "social.worker").get(path).text
    for heading in ("Identity", "Involvements and plans", "Chronology", "Why linked"):
        assert heading in text
    assert "Apply filters" in text


def test_chronology_filter_by_agency(engine: Engine) -> None:
    person = person_with(engine, "police", "health")
    client = signed_in(engine, "social.worker")
    path = f"/children/{person}?purpose=safeguarding_enquiry"
    everything = client.get(path).text
    police = client.get(path + "&agency=police").text
    assert "Health contact" in everything
    assert "Police notification" in police and "Health contact" not in police.split("Chronology")[1]


def test_bad_filter_dates_are_listed(engine: Engine) -> None:
    path = _fill("/children/{pid}?purpose=safeguarding_enquiry&from=soon&to=32/1/2024", engine)
    response = signed_in(engine, "social.worker").get(path)
    assert response.status_code == 400
    assert "The &#39;from&#39; date must be a real date" in response.text
    assert "The &#39;to&#39; date must be a real date" in response.text


def test_withheld_records_are_counted_and_break_glass_is_flagged(engine: Engine) -> None:
    person = person_with(engine, "police")
    client = signed_in(engine, "early.help")
    page = client.get(f"/children/{person}?purpose=early_help_assessment")
    assert "Some records are withheld for this purpose" in page.text
    assert "police:" in page.text and "Use emergency access" in page.text
    token = csrf_from(page.text)
    short = client.post(
        f"/children/{person}/break-glass",
        data={"csrf_token": token, "purpose": "early_help_assessment", "justification": "now"},
    )
    assert short.status_code == 400 and "in at least 20 characters" in short.text
    opened = client.post(
        f"/children/{person}/break-glass",
        data={"csrf_token": token, "purpose": "early_help_assessment",
              "justification": JUSTIFICATION},
    )  # fmt: skip
    assert opened.status_code == 200 and "You are using emergency access" in opened.text
    assert "Police notification" in opened.text
    flagged = scalar(
        engine, select(func.count()).select_from(AuditEvent).where(AuditEvent.flagged.is_(True))
    )
    assert flagged >= 1


def test_sealed_records_only_for_the_adoption_team(engine: Engine) -> None:
    person = person_with(engine, "children's social care")
    with engine.begin() as conn:
        conn.execute(
            update(SourceRecord).where(SourceRecord.person_id == person).values(sealed=True)
        )
    path = f"/children/{person}?purpose=safeguarding_enquiry"
    adoption = signed_in(engine, "adoption.worker").get(path)
    other = signed_in(engine, "social.worker").get(path)
    assert adoption.status_code == other.status_code == 200
    assert "(sealed)" in adoption.text
    assert "(sealed)" not in other.text and "No source records you can see." in other.text


def test_review_decision_is_saved_and_audited(engine: Engine) -> None:
    item = pair_item(engine)
    client = signed_in(engine, "data.analyst")
    response = client.post(
        f"/review/{item}/decision",
        data={"csrf_token": page_csrf(client), "decision": "not_same", "reason": "different DOB"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert scalar(engine, select(ReviewItem.status).where(ReviewItem.id == item)) == "decided"
    assert scalar(engine, select(ReviewDecision.reviewer)) == "data.analyst"
    assert "Decision saved" in client.get(response.headers["location"]).text


def test_review_decision_lists_every_problem(engine: Engine) -> None:
    item = pair_item(engine)
    client = signed_in(engine, "data.analyst")
    token = page_csrf(client)
    response = client.post(f"/review/{item}/decision", data={"csrf_token": token})
    assert response.status_code == 400
    assert "Choose whether these are the same child" in response.text
    assert "Enter the reason for your decision" in response.text


def test_pair_page_shows_both_records_and_the_decision_form(engine: Engine) -> None:
    page = signed_in(engine, "data.analyst").get(f"/review/{pair_item(engine)}")
    assert page.status_code == 200
    assert "Are these the same child?" in page.text and "Save decision" in page.text
    assert "Split record" in page.text and "Merge person" in page.text


def test_split_and_merge_from_the_pair_page(engine: Engine) -> None:
    item = pair_item(engine)
    with engine.connect() as conn:
        left, right = conn.execute(
            select(ReviewItem.record_l, ReviewItem.record_r).where(ReviewItem.id == item)
        ).one()
        persons = [
            conn.scalar(select(SourceRecord.person_id).where(SourceRecord.id == r))
            for r in (left, right)
        ]
    client = signed_in(engine, "data.analyst")
    token = page_csrf(client)
    merged = client.post(
        "/review/merge",
        data={"csrf_token": token, "person_ids": persons, "reason": "same child, checked"},
        follow_redirects=False,
    )
    assert merged.status_code == 303
    assert scalar(engine, select(SourceRecord.person_id).where(SourceRecord.id == right)) == min(
        persons
    )
    split = client.post(
        "/review/split",
        data={"csrf_token": token, "record_id": uuid.UUID(str(right)).hex, "reason": "not them"},
        follow_redirects=False,
    )
    assert split.status_code == 303
    moved = scalar(engine, select(SourceRecord.person_id).where(SourceRecord.id == right))
    assert moved != min(persons)


def test_access_report_lists_who_looked_and_exports_csv(engine: Engine) -> None:
    person = person_with(engine, "police")
    signed_in(engine, "police.officer").get(f"/children/{person}?purpose=safeguarding_enquiry")
    client = signed_in(engine, "ig.officer")
    page = client.get(f"/children/{person}/access-report?purpose=audit_oversight")
    assert "police.officer" in page.text and "Safeguarding enquiry" in page.text
    export = client.get(f"/children/{person}/access-report.csv?purpose=audit_oversight")
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    assert export.text.splitlines()[0].startswith("occurred_at,actor,role,action,purpose")
    assert any("police.officer" in line for line in export.text.splitlines()[1:])


def test_admin_creates_and_unlocks_accounts(engine: Engine) -> None:
    client = signed_in(engine, "admin")
    token = csrf_from(client.get("/admin/accounts").text)
    bad = client.post(
        "/admin/accounts",
        data={"csrf_token": token, "username": "new.person", "password": "short",
              "role": "police_officer", "agency": "police"},
    )  # fmt: skip
    assert bad.status_code == 400 and "at least 12 characters" in bad.text
    created = client.post(
        "/admin/accounts",
        data={"csrf_token": token, "username": "new.person", "display_name": "New Person",
              "password": PASSWORD, "role": "police_officer", "agency": "police"},
    )  # fmt: skip
    assert created.status_code == 200 and "The account was created" in created.text
    assert signed_in(engine, "new.person").get("/").status_code == 200
    with engine.begin() as conn:
        conn.execute(
            update(UserAccount)
            .where(UserAccount.username == "new.person")
            .values(locked_until=datetime(2999, 1, 1, tzinfo=UTC))
        )
    listing = client.get("/admin/accounts").text
    assert "Locked until" in listing
    unlocked = client.post("/admin/accounts/new.person/unlock", data={"csrf_token": token})
    assert unlocked.status_code == 200 and "The account was unlocked" in unlocked.text
    assert "Locked until" not in unlocked.text


def test_audit_failure_during_a_page_view_shows_no_child_data(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client = signed_in(engine, "social.worker")
    before = _audit_count(engine)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("wholechild.access.record_audit", broken)
    response = client.get(_fill("/children/{pid}?purpose=safeguarding_enquiry", engine))
    assert response.status_code == 500
    assert "Traceback" not in response.text and "Reference" in response.text
    assert "Identity" not in response.text
    assert _audit_count(engine) == before
    assert "RuntimeError" in (tmp_path / "var/log/wholechild-errors.log").read_text()


def test_audit_failure_during_a_decision_rolls_it_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    item = pair_item(engine)
    client = signed_in(engine, "data.analyst")
    token = page_csrf(client)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("wholechild.actions.review.record_audit", broken)
    response = client.post(
        f"/review/{item}/decision",
        data={"csrf_token": token, "decision": "same", "reason": "same child"},
    )
    assert response.status_code == 500 and "Nothing was changed" in response.text
    assert scalar(engine, select(func.count()).select_from(ReviewDecision)) == 0
    assert scalar(engine, select(ReviewItem.status).where(ReviewItem.id == item)) == "open"


def _post_routes() -> list[str]:
    """Every POST route the app has, whoever wrote it (read from the app itself)."""
    app = create_app(web_settings(), make_engine("sqlite://"))
    return sorted(
        {c.path for c in iter_route_contexts(app.routes) if "POST" in (c.methods or set())}
    )


POST_ROUTES = _post_routes()
WEB_APP_POST_ROUTES = {
    "/sign-in",
    "/sign-out",
    "/children/{person_id}/break-glass",
    "/review/{item_id}/decision",
    "/review/split",
    "/review/merge",
    "/admin/accounts",
    "/admin/accounts/{username}/unlock",
    "/api/review/{item_id}/decision",
}


def test_the_route_table_is_read_from_the_app() -> None:
    assert set(POST_ROUTES) >= WEB_APP_POST_ROUTES


@pytest.mark.parametrize("token", [None, "not-the-token"])
@pytest.mark.parametrize("path", POST_ROUTES)
def test_csrf_is_required_on_every_post_route(engine: Engine, path: str, token: str | None) -> None:
    client = signed_in(engine, "admin")
    target = re.sub(r"\{[a-z_]+\}", "1", path)
    before = _audit_count(engine)
    response = client.post(
        target, data={"csrf_token": token} if token else {}, follow_redirects=False
    )
    assert response.status_code == 403, (path, response.status_code)
    assert "did not come from wholechild" in response.text
    assert _audit_count(engine) == before
