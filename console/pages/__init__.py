"""The console's HTML pages under ``/console``, one module per resource: login, tickets (the queue and one
ticket), the knowledge base and what the bot missed, statistics, notifications, the deliveries that need a
person, festival greetings, and the health of Redis and the database. Every write is a form post with the
session's CSRF token that redirects back (post/redirect/get), except a conflicting answer, which is shown at
once with the draft kept."""

from fastapi import APIRouter

from console.pages import (
    attachments,
    canned_replies,
    deliveries,
    departments,
    exports,
    faq,
    faq_drafts,
    greetings,
    health,
    login,
    missed,
    notifications,
    staff,
    static,
    stats,
    ticket_merge,
    ticket_routing,
    ticket_time,
    tickets,
)

router = APIRouter()
for module in (
    login,
    exports,  # before tickets: /console/tickets/export.xlsx is not a ticket number
    tickets,
    attachments,
    ticket_routing,
    ticket_time,
    ticket_merge,
    canned_replies,
    departments,
    staff,
    faq_drafts,  # before faq: /console/faq/drafts is not an entry id
    faq,
    missed,
    stats,
    notifications,
    deliveries,
    greetings,
    health,
    static,
):
    router.include_router(module.router)

__all__ = ["router"]
