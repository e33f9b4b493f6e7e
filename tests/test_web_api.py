"""The JSON API on a small linked synthetic council: answers, problem+json errors, CSRF on
writes, and an OpenAPI document that lists every route and status code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from web_support import (
    TestClient,
    build_council,
    council_copy,
    fast_password_hashes,  # noqa: F401 - autouse fixture
    make_client,
    pair_item,
    person_with,
    scalar,
    signed_in,
)
from wholechild.storage.schema import AuditEvent, ReviewDecision, ReviewItem

PROBLEM_KEYS = {"type", "title", "status", "detail", "fix", "errors", "break_glass_possible"}


@pytest.fixture(scope="module")
def council_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_council(tmp_path_factory.mktemp("api_council"))


@pytest.fixture
def engine(council_db: Path, tmp_path: Path) -> Iterator[Engine]:
    engine = council_copy(council_db, tmp_path)
    yield engine
    engine.dispose()


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) == PROBLEM_KEYS and body["status"] == status
    assert "Traceback" not in response.text
    return body


def _csrf(client: TestClient) -> str:
    token: str = client.get("/api/me").json()["csrf_token"]
    return token


def test_me_says_who_is_signed_in(engine: Engine) -> None:
    body = signed_in(engine, "police.officer").get("/api/me").json()
    assert body["username"] == "police.officer" and body["role"] == "police_officer"
    assert body["agency"] == "police" and len(body["csrf_token"]) > 20


@pytest.mark.parametrize(
    "path",
    ["/api/me", "/api/search?purpose=safeguarding_enquiry&name=x", "/api/review?purpose=x"],
)
def test_not_signed_in_is_401_problem(engine: Engine, path: str) -> None:
    body = _problem(make_client(engine).get(path), 401)
    assert body["detail"] == "You need to sign in to use wholechild."


def test_search_and_child_answer_for_an_allowed_role(engine: Engine) -> None:
    person = person_with(engine, "police")
    client = signed_in(engine, "social.worker")
    child = client.get(f"/api/children/{person}", params={"purpose": "safeguarding_enquiry"})
    assert child.status_code == 200
    body = child.json()
    assert body["person_id"] == person and body["purpose"] == "safeguarding_enquiry"
    names = {f["name"]: f for f in body["identity"]}
    surname = names["surname"]["values"][0]["value"].split()[-1]  # one word: any name part
    hits = client.get("/api/search", params={"purpose": "safeguarding_enquiry", "name": surname})
    assert hits.status_code == 200
    assert person in [h["person_id"] for h in hits.json()], surname
    linked = [r for r in body["records"] if r["links"]]
    assert linked, "a linked record explains why it is linked"
    assert linked[0]["ingested_at"].endswith(("Z", "+00:00"))  # RFC 3339: with an offset
    contribution = linked[0]["links"][0]["contributions"][0]
    assert set(contribution) == {"comparison", "match_weight"}


def test_child_filters_by_agency_and_date(engine: Engine) -> None:
    person = person_with(engine, "police", "health")
    client = signed_in(engine, "social.worker")
    params = {"purpose": "safeguarding_enquiry", "agency": "police"}
    events = client.get(f"/api/children/{person}", params=params).json()["chronology"]
    assert events and {e["agency"] for e in events} == {"police"}
    params = {"purpose": "safeguarding_enquiry", "to": "1900-01-01"}
    assert client.get(f"/api/children/{person}", params=params).json()["chronology"] == []


@pytest.mark.parametrize(
    ("username", "path", "status", "detail"),
    [
        ("social.worker", "/api/children/{pid}", 400, "1 problem(s)"),
        ("social.worker", "/api/children/{pid}?purpose=nonsense", 400, "1 problem(s)"),
        ("social.worker", "/api/children/0?purpose=safeguarding_enquiry", 400, "1 problem(s)"),
        ("data.analyst", "/api/children/{pid}?purpose=safeguarding_enquiry", 403, "may not"),
        ("social.worker", "/api/review?purpose=linkage_review", 403, "may not review"),
        ("ig.officer", "/api/children/{pid}/access-report?purpose=statutory_return", 403, "only"),
        ("social.worker", "/api/nowhere", 404, "nothing at this address"),
    ],
)
def test_errors_are_problem_details(
    engine: Engine, username: str, path: str, status: int, detail: str
) -> None:
    path = path.replace("{pid}", str(person_with(engine, "police")))
    body = _problem(signed_in(engine, username).get(path), status)
    assert detail in body["detail"]
    if status == 400:
        assert body["errors"] and all(e["field"] and e["message"] for e in body["errors"])


def test_break_glass_possible_is_reported(engine: Engine) -> None:
    person = person_with(engine, "police")
    body = signed_in(engine, "early.help").get(
        f"/api/children/{person}", params={"purpose": "early_help_assessment"}
    )
    assert body.status_code == 200
    assert body.json()["break_glass_possible"] is True
    assert {w["category"] for w in body.json()["withheld"]} >= {"police"}


def test_review_queue_pair_and_decision(engine: Engine) -> None:
    item = pair_item(engine)
    client = signed_in(engine, "data.analyst")
    queue = client.get("/api/review", params={"purpose": "linkage_review"}).json()
    assert item in [i["item_id"] for i in queue]
    pair = client.get(f"/api/review/{item}", params={"purpose": "linkage_review"}).json()
    assert pair["left"]["record_id"] < pair["right"]["record_id"]
    decided = client.post(
        f"/api/review/{item}/decision",
        params={"purpose": "linkage_review"},
        json={"decision": "not_same", "reason": "different dates of birth"},
        headers={"X-CSRF-Token": _csrf(client)},
    )
    assert decided.status_code == 200, decided.text
    assert len(decided.json()["decision_ids"]) == 1
    assert scalar(engine, select(ReviewItem.status).where(ReviewItem.id == item)) == "decided"


@pytest.mark.parametrize("header", [None, "wrong-token"])
def test_api_write_needs_the_csrf_header(engine: Engine, header: str | None) -> None:
    item = pair_item(engine)
    client = signed_in(engine, "data.analyst")
    before = scalar(engine, select(func.count()).select_from(AuditEvent))
    response = client.post(
        f"/api/review/{item}/decision",
        params={"purpose": "linkage_review"},
        json={"decision": "same", "reason": "same child"},
        headers={"X-CSRF-Token": header} if header else {},
    )
    assert "did not come from wholechild" in _problem(response, 403)["detail"]
    assert scalar(engine, select(func.count()).select_from(ReviewDecision)) == 0
    assert scalar(engine, select(func.count()).select_from(AuditEvent)) == before


@pytest.mark.parametrize(
    "body",
    [{}, {"decision": "maybe", "reason": "x"}, {"decision": "same", "reason": ""},
     {"decision": "same", "reason": "x", "extra": 1}],
)  # fmt: skip
def test_decision_body_is_validated(engine: Engine, body: dict[str, Any]) -> None:
    client = signed_in(engine, "data.analyst")
    response = client.post(
        f"/api/review/{pair_item(engine)}/decision",
        params={"purpose": "linkage_review"},
        json=body,
        headers={"X-CSRF-Token": _csrf(client)},
    )
    assert _problem(response, 400)["errors"]


EXPECTED_OPERATIONS = {
    ("get", "/api/me"),
    ("get", "/api/search"),
    ("get", "/api/children/{person_id}"),
    ("get", "/api/children/{person_id}/access-report"),
    ("get", "/api/review"),
    ("get", "/api/review/{item_id}"),
    ("post", "/api/review/{item_id}/decision"),
}


def test_openapi_document_lists_every_operation_and_status(engine: Engine) -> None:
    document = make_client(engine).get("/api/openapi.json").json()
    operations = {(method, path) for path, item in document["paths"].items() for method in item}
    assert operations >= EXPECTED_OPERATIONS
    assert all(path.startswith("/api") for _, path in operations)  # pages stay out
    for method, path in EXPECTED_OPERATIONS:
        responses = document["paths"][path][method]["responses"]
        assert {"200", "400", "401", "403", "404", "500"} <= set(responses), (method, path)
        assert "application/problem+json" in responses["403"]["content"]
    purpose = next(
        p for p in document["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "purpose"
    )
    assert purpose["required"] is True
