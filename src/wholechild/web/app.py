"""The web app: ``create_app(settings, engine)`` builds it; ``wholechild serve`` serves it.

Pages (GOV.UK Design System, server-rendered) and the JSON API (``/api``, its OpenAPI document
at ``/api/openapi.json``) share one app, one session and one error policy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from wholechild.errors import ConfigurationError
from wholechild.settings import Settings, load_settings
from wholechild.storage.db import make_engine
from wholechild.web.oidc import build_client, oidc_enabled
from wholechild.web.problems import InternalErrors, install_error_handlers
from wholechild.web.security import SecurityHeaders

STATIC: Final = Path(__file__).with_name("static")
GOVUK_DIST: Final = Path("govuk-frontend", "dist", "govuk")


def govuk_dist(settings: Settings) -> Path:
    """govuk-frontend's built files, installed by ``make setup`` from the npm registry."""
    root = settings.assets_dir or Path("node_modules")
    dist = root / GOVUK_DIST
    if not (dist / "govuk-frontend.min.css").is_file():
        raise ConfigurationError(
            f"the GOV.UK Frontend files are not at {dist}",
            fix="run `make setup` (npm installs govuk-frontend into node_modules), or set "
            "WHOLECHILD_ASSETS_DIR to the folder holding govuk-frontend",
        )
    return dist


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The app for ``settings``; ``engine`` defaults to the store at settings.database_url
    (migrated by the caller: ``wholechild serve`` migrates before serving)."""
    dist = govuk_dist(settings)
    app = FastAPI(
        title="wholechild API",
        version="1",
        description="wholechild's JSON API: search, the child view, the review queue and "
        "access reports. Every call declares its purpose of access and is audited.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine if engine is not None else make_engine(settings.database_url)
    app.state.oidc = build_client(settings) if oidc_enabled(settings) else None
    app.mount("/static/govuk", StaticFiles(directory=dist), name="govuk")
    # govuk-frontend's CSS asks for its fonts and images at /assets.
    app.mount("/assets", StaticFiles(directory=dist / "assets"), name="govuk-assets")
    app.mount("/static/app", StaticFiles(directory=STATIC), name="app-static")
    install_error_handlers(app)
    _include_routers(app)
    app.add_middleware(InternalErrors)
    app.add_middleware(SecurityHeaders)
    return app


def _include_routers(app: FastAPI) -> None:
    from wholechild.web.routes import (
        admin,
        api,
        auth,
        children,
        dashboards,
        ehcp,
        governance,
        pages,
        review,
        search,
    )

    for module in (auth, pages, search, children, review, admin, dashboards, governance, ehcp):
        app.include_router(module.router)
    app.include_router(api.router)


def app_from_environment() -> FastAPI:
    """The app for the environment's settings, its store signing audit checkpoints: the factory
    each worker process calls under ``wholechild serve --workers N`` (the store is migrated
    once, by ``serve``, before the workers start)."""
    from wholechild.audit.checkpoint import enable_automatic_checkpoints

    settings = load_settings()
    engine = make_engine(settings.database_url)
    enable_automatic_checkpoints(engine, settings)
    return create_app(settings, engine)
