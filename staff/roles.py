"""Staff roles, ordered: a supervisor can do everything staff can, an admin everything a supervisor can."""

from __future__ import annotations

from typing import Protocol

ROLES = ("staff", "supervisor", "admin")


class Actor(Protocol):
    """Who acts: a ``StaffUser`` row, or the console's snapshot of one (which outlives a rollback)."""

    @property
    def username(self) -> str: ...

    def can(self, role: str) -> bool: ...


def has_role(role: str, wanted: str) -> bool:
    return ROLES.index(role) >= ROLES.index(wanted)
