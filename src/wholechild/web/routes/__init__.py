"""Routers: each parses a request, calls one read function or action, and returns."""
