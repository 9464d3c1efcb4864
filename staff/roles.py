"""Staff roles, ordered: each can do everything the ones before it can (staff < dispatcher < supervisor < admin)."""

from __future__ import annotations

from typing import Protocol

# A dispatcher (分派员) also sends on the tickets no department received and the ones departments returned.
ROLES = ("staff", "dispatcher", "supervisor", "admin")


class Actor(Protocol):
    """Who acts: a ``StaffUser`` row, or the console's snapshot of one (which outlives a rollback)."""

    @property
    def username(self) -> str: ...

    def can(self, role: str) -> bool: ...


def has_role(role: str, wanted: str) -> bool:
    return ROLES.index(role) >= ROLES.index(wanted)
