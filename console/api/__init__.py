"""The console's actions as a JSON API under ``/api``, with the same login as the pages.

Authentication is the session cookie (from ``POST /api/session`` or the login page); every write also needs
the session's CSRF token in the ``X-CSRF-Token`` header, which a browser on another site cannot read, so
the cookie alone can never make a write.
"""

from fastapi import APIRouter

from console.api import deliveries, notices, notifications, session, stats, ticket_routing, ticket_time, tickets

router = APIRouter()
for module in (session, tickets, ticket_routing, ticket_time, stats, notifications, notices, deliveries):
    router.include_router(module.router)

__all__ = ["router"]
