"""The web app (``wholechild serve``): GOV.UK Design System pages and a JSON API under /api."""

from wholechild.web.app import create_app

__all__ = ["create_app"]
