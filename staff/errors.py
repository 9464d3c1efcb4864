"""Refusals of what staff asked for, with a message fit to show them (Chinese).

Every staff-facing module (tickets, deliveries, notifications) raises these, so the console maps each to
one HTTP status in one place.
"""

from __future__ import annotations


class StaffActionError(Exception):
    """A refusal with a message fit to show staff (Chinese); ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(StaffActionError):
    status = 403


class Unavailable(StaffActionError):
    """What staff asked for needs a service that is out (Redis); it can be done again once it is back."""

    status = 503
