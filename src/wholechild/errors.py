"""One family of errors a user can act on.

The CLI maps each class to an exit code in one place (``wholechild.cli``); nothing else should
show a user a traceback. Messages carry identifiers and counts, never a child's details.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix: a bad argument, a missing file, an unreachable store."""

    exit_code = 2

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  How to fix: {self.fix}" if self.fix else self.message


class ConfigurationError(UserError):
    """Settings are missing or invalid. Reported all at once."""

    exit_code = 3


class StoreUnavailableError(UserError):
    """The database could not be reached or opened."""

    exit_code = 4


class InputFileError(UserError):
    """A named input cannot be read at all (missing, unreadable, unknown format)."""

    exit_code = 5
