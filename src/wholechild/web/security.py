"""Security on every response (headers), the session cookie, and CSRF tokens.

CSRF uses a synchroniser token: each session has its own token (stored with the session), sent
back as the ``csrf_token`` field of every form and the ``X-CSRF-Token`` header of API writes.
Before sign-in, a random pre-session cookie plays that part for the sign-in form.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wholechild.errors import UserError
from wholechild.settings import Settings

SESSION_COOKIE: Final = "wholechild_session"
PRESESSION_COOKIE: Final = "wholechild_presession"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"

CONTENT_SECURITY_POLICY: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
STATIC_PREFIXES: Final = ("/static/", "/assets/")


class CsrfError(UserError):
    """A form or API write without the right CSRF token."""

    def __init__(self) -> None:
        super().__init__(
            "This form has expired or did not come from wholechild, so nothing was changed.",
            fix="Go back, reload the page and try again. API clients send the session's "
            "token in the X-CSRF-Token header.",
        )


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def cookie_secure(settings: Settings) -> bool:
    """Secure (HTTPS only) unless turned off, or unset in development."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return settings.environment != "development"


class SecurityHeaders:
    """Adds the security headers to every response, and ``Cache-Control: no-store`` to every
    response that is not a static file (pages and API answers may carry a child's details)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(STATIC_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
