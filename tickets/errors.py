"""Refusals about tickets: there is no such ticket, or someone changed it after it was read."""

from __future__ import annotations

from staff.errors import StaffActionError
from tickets.models import Ticket


class TicketNotFound(StaffActionError):
    status = 404


class AnswerConflict(StaffActionError):
    """Someone changed the ticket after this staff member opened it; carries what is there now."""

    status = 409

    def __init__(self, ticket: Ticket) -> None:
        super().__init__("该工单已被他人修改（可能已有答复）。请先查看当前内容，再决定是否重新提交。")
        self.number = ticket.number
        self.current_version = ticket.version
        self.state = ticket.state
        self.answer = ticket.answer
        self.answered_by = ticket.answered_by
        self.answered_at = ticket.answered_at
        self.assignee = ticket.assignee
