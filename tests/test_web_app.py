"""The app itself: configuration checked at start, static files served locally, security
headers on every response, error pages and problem+json, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import APIRouter
from sqlalchemy import Engine

from web_support import (
    NODE_MODULES,
    TestClient,
    add_account,
    fast_password_hashes,  # noqa: F401 - autouse fixture
    make_client,
    signed_in,
    web_settings,
)
from wholechild.errors import ConfigurationError
from wholechild.web.app import create_app
from wholechild.web.security import SECURITY_HEADERS


def test_missing_front_end_files_fail_at_start(store: Engine, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="make setup"):
        create_app(web_settings(assets_dir=tmp_path), store)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/static/govuk/govuk-frontend.min.css", "text/css"),
        ("/static/govuk/govuk-frontend.min.js", "javascript"),
        ("/assets/fonts/bold-b542beb274-v2.woff2", "font/woff2"),
        ("/static/app/app.css", "text/css"),
        ("/static/app/js-enabled.js", "javascript"),
        ("/static/app/init.mjs", "javascript"),
    ],
)
def test_front_end_files_are_served_locally(store: Engine, path: str, kind: str) -> None:
    response = make_client(store).get(path)
    assert response.status_code == 200 and kind in response.headers["content-type"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers.get("cache-control") != "no-store"


def test_every_font_and_image_the_css_asks_for_exists(store: Engine) -> None:
    client = make_client(store)
    css = (NODE_MODULES / "govuk-frontend/dist/govuk/govuk-frontend.min.css").read_text()
    urls = set(re.findall(r"url\((/assets/[^)]+)\)", css))
    assert urls
    for url in urls:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("path", ["/sign-in", "/", "/nowhere", "/api/me", "/api/openapi.json"])
def test_security_headers_on_every_response(store: Engine, path: str) -> None:
    response = make_client(store).get(path, follow_redirects=False)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "default-src 'self'" in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_pages_carry_no_inline_script_and_no_cdn(store: Engine) -> None:
    add_account(store, "sam.worker", "social_worker", "social_care")
    client = signed_in(store, "sam.worker")
    for path in ("/", "/search", "/sign-in", "/nowhere"):
        html = client.get(path).text
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, (path, tag)
        assert "://" not in " ".join(re.findall(r'(?:src|href)="([^"]+)"', html)), path
        assert '<body class="govuk-template__body">' in html


def test_unknown_page_is_a_gov_uk_404(store: Engine) -> None:
    response = make_client(store).get("/nowhere")
    assert response.status_code == 404
    assert "Page not found" in response.text and "govuk-heading-l" in response.text


def test_unknown_api_path_is_a_404_problem(store: Engine) -> None:
    response = make_client(store).get("/api/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def _broken_app(store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    client = make_client(store)
    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("password=hunter2 in a database driver message")

    @router.get("/api/boom")
    def api_boom() -> None:
        raise RuntimeError("password=hunter2 in a database driver message")

    client.app.include_router(router)  # type: ignore[attr-defined]
    monkeypatch.chdir(tmp_path)
    return client


def test_internal_error_page_shows_a_reference_never_a_traceback(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _broken_app(store, tmp_path, monkeypatch)
    page = client.get("/boom")
    assert page.status_code == 500
    assert "Sorry, there is a problem with the service" in page.text
    assert "Traceback" not in page.text and "hunter2" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src")
    reference = re.search(r"Reference: ([0-9a-f]{12})", page.text)
    assert reference
    log = (tmp_path / "var/log/wholechild-errors.log").read_text()
    assert f"incident {reference.group(1)}" in log and "RuntimeError" in log


def test_internal_error_in_the_api_is_a_500_problem(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _broken_app(store, tmp_path, monkeypatch)
    response = client.get("/api/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 500 and "Reference" in body["detail"]
    assert "hunter2" not in response.text and "Traceback" not in response.text


def test_home_offers_what_the_role_may_do(store: Engine) -> None:
    add_account(store, "dee.analyst", "data_analyst", "other")
    add_account(store, "ari.admin", "administrator", "other")
    analyst = signed_in(store, "dee.analyst").get("/").text
    admin = signed_in(store, "ari.admin").get("/").text
    assert 'href="/review"' in analyst and 'href="/admin/accounts"' not in analyst
    assert 'href="/admin/accounts"' in admin and 'href="/search"' not in admin
