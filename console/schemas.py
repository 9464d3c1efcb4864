"""Request and response models of the console's JSON API, so the OpenAPI schema documents every field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from tickets.detail import WindowState
from tickets.models import TicketState
from tickets.queue import QueueItem


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class StaffOut(BaseModel):
    username: str
    display_name: str
    role: Literal["staff", "dispatcher", "supervisor", "admin"]


class SessionOut(BaseModel):
    user: StaffOut
    csrf_token: str = Field(description="Send back in the X-CSRF-Token header on every write")


class QueueOut(BaseModel):
    items: list[QueueItem] = Field(description="Earliest due first; department null = the dispatcher's queue")
    total: int = Field(description="Exact unless total_capped: then at least this many (a search's count stops there)")
    total_capped: bool = False
    page: int
    per_page: int
    pages: int
    open_count: int
    overdue_count: int


class TicketOut(BaseModel):
    number: str
    state: TicketState = Field(description="waiting: 待补充, the clock stopped")
    category: str | None
    department: str | None = Field(default=None, description="The department's queue; null = the dispatcher's")
    referral: str | None = Field(default=None, description="Closed by referral outside the federation: where")
    question: str
    assignee: str | None
    created_at: datetime
    due_at: datetime
    due_provisional: bool
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    first_answered_at: datetime | None
    closed_at: datetime | None
    answer_delivery: str
    script: Literal["hans", "hant"] = Field(description="The user's script: answers to hant are sent converted")
    version: int = Field(description="Send back with an answer: a stale version is refused with 409")


class MessageOut(BaseModel):
    kind: Literal["user", "answer", "note", "context", "bot", "ask"] = Field(
        description="user: a later addition; context: what the user wrote before the ticket (or a message the "
        "FAQ answered while it was open); bot: the bot's reply to it; answer; note (staff only); ask: staff "
        "asked the user for more (待补充)"
    )
    author: str
    body: str
    created_at: datetime


class ConversationOut(BaseModel):
    direction: Literal["in", "out"]
    channel: str
    msg_type: str
    content: str
    created_at: datetime


class EventOut(BaseModel):
    actor: str
    action: str
    detail: dict[str, object] | None
    at: datetime


class DeliveryOut(BaseModel):
    id: int
    openid: str
    channel: str
    purpose: str
    ref: str | None
    state: str
    attempts: int
    last_error: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


class WindowOut(BaseModel):
    state: WindowState
    closes_at: datetime | None


class FaqSuggestionOut(BaseModel):
    id: str
    category: str
    question: str
    answer: str


class TicketDetailOut(BaseModel):
    ticket: TicketOut
    messages: list[MessageOut]
    notes: list[MessageOut]
    conversation: list[ConversationOut]
    events: list[EventOut]
    deliveries: list[DeliveryOut]
    window: WindowOut
    suggestions: list[FaqSuggestionOut]
    overdue: bool
    due_soon: bool


class AnswerImageIn(BaseModel):
    """An image sent after the answer's text (JPG, PNG or GIF by its first bytes, at most
    ``QIAOBOT_ANSWER_IMAGE_MAX_BYTES``), as in the ticket page's answer form."""

    filename: str = Field(default="", max_length=255, description="Shown on the ticket page, e.g. 办理流程.jpg")
    content_base64: str = Field(
        description="The file in standard base64 (RFC 4648; line breaks allowed), or a data:image/…;base64, URL"
    )


class AnswerIn(BaseModel):
    answer: str = Field(max_length=20000)
    version: int
    image: AnswerImageIn | None = None


class AnswerOut(BaseModel):
    ticket: TicketOut
    deliveries: list[int] = Field(description="The answer's deliveries, queued now")
    image_delivery: int | None = Field(
        default=None, description="The image's delivery: held until the text was delivered, then sent (or uncertain)"
    )


class ConflictOut(BaseModel):
    detail: str
    number: str
    current_version: int
    state: str
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    assignee: str | None


class ErrorOut(BaseModel):
    detail: str


class NoteIn(BaseModel):
    body: str = Field(max_length=20000)


class AssignIn(BaseModel):
    assignee: str | None = Field(default=None, max_length=64, description="A username; null to unassign")


class FaqIn(BaseModel):
    mode: Literal["new", "similar"]
    faq_id: str | None = Field(default=None, max_length=80, description="The entry to extend (mode=similar)")
    question: str | None = Field(default=None, max_length=400)
    answer: str | None = Field(default=None, max_length=20000)
    category: str | None = Field(default=None, max_length=64)


class FaqOut(BaseModel):
    faq_id: str
    draft_id: int = Field(description="The draft a supervisor publishes (/console/faq/drafts)")


class StatGroupOut(BaseModel):
    label: str
    tickets: int
    answered: int
    on_time: int
    counted: int
    on_time_rate: float | None
    median_answer_hours: float | None
    open: int
    overdue: int


class StatsOut(BaseModel):
    since: date
    weeks: int
    total: StatGroupOut
    by_week: list[StatGroupOut]
    by_category: list[StatGroupOut]
    open_now: int
    overdue_now: int


class NotificationOut(BaseModel):
    id: int
    kind: str
    text: str
    ticket_id: int | None
    created_at: datetime
    read_at: datetime | None


class OkOut(BaseModel):
    ok: bool = True


class NoticesOut(BaseModel):
    new_tickets: int = Field(description="Open tickets nobody has taken in the queues this staff member works")
    unread: int = Field(description="Unread notifications")
    marker: int = Field(description="Changes whenever any ticket changes: refresh the queue when it moves")


class DispatchIn(BaseModel):
    department: str = Field(max_length=32, description="The department's code (config/departments.yaml)")


class TransferIn(BaseModel):
    department: str = Field(max_length=32)
    reason: str = Field(max_length=2000, description="Required: why it goes to that department")


class ReturnIn(BaseModel):
    reason: str = Field(max_length=2000, description="Required: why the department does not own it")


class ReferIn(BaseModel):
    referral: str = Field(max_length=32, description="A referral's code: where outside the federation")
    note: str = Field(default="", max_length=2000, description="Advice added to what the user is told")
    version: int = Field(description="The ticket version it was written against (a stale one gets 409)")


class TicketChangeOut(BaseModel):
    ticket: TicketOut
    deliveries: list[int] = Field(description="Messages queued by the change (notices to the user or staff)")


class ExtensionIn(BaseModel):
    days: int = Field(ge=-1000, le=1000, description="Working days more (1 to QIAOBOT_EXTENSION_MAX_WORKING_DAYS)")
    reason: str = Field(max_length=2000)


class ExtensionDecisionIn(BaseModel):
    decision: Literal["approve", "refuse"]
    note: str = Field(default="", max_length=2000)


class ExtensionOut(BaseModel):
    id: int
    requested_by: str
    reason: str
    requested_at: datetime
    old_due_at: datetime
    new_due_at: datetime
    state: Literal["pending", "approved", "refused"]
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str


class ExtensionDecisionOut(BaseModel):
    ticket: TicketOut
    extension: ExtensionOut
    deliveries: list[int] = Field(description="The notice to the user (customer-service or template message)")


class AskIn(BaseModel):
    request: str = Field(max_length=4000, description="What the user is asked to supply (待补充)")
