"""Getting a staff answer to the user, whichever way WeChat allows at the time.

- 48-hour window open → a customer-service message with the answer.
- window closed (or WeChat says 45015/45047 when we try) → a template message saying an answer is ready, with a
  signed link to it; the answer itself goes out the next time the user writes (``answers_waiting``).
- no template configured → the answer waits for the user's next message, and staff are told.
Every path stores its delivery before anything leaves, under a key derived from the answer, so a retry or a
worker restart never sends it twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from calendars.clock import Clock
from config.settings import Settings
from delivery.service import DeliveryService, text_payload
from faq.script import in_script
from handlers import texts
from staff.notifications import StaffNotifier
from storage.models import Delivery, Follower
from tickets.answer_images import images_waiting, release_images
from tickets.answer_page import answer_link
from tickets.models import Ticket, TicketEvent
from tickets.progress_notice import progress_payload
from tickets.satisfaction import RATING_QUESTION
from tickets.user_tickets import OWED
from tickets.windows import window_open
from wechat.api_errors import WeChatApiError

log = logging.getLogger(__name__)

# 45015: 回复时间超过限制 (window closed); 45047: 客服接口下行条数超过上限 (5 per window).
WINDOW_ERRORS = frozenset({45015, 45047})


def answer_text(ticket: Ticket) -> str:
    """The staff answer in its wrapper, in the user's script (staff write Simplified; the console previews it)."""
    return in_script(texts.STAFF_ANSWER.format(number=ticket.number, answer=ticket.answer or ""), ticket.script)


def rating_text(ticket: Ticket) -> str | None:
    """回访: the rating question, its own message after the answer (none after a referral: the ticket closed
    with where to go, there is no answer of ours to rate)."""
    if ticket.referral is not None or ticket.state != "answered":  # a wait closed unanswered: nothing to rate
        return None
    return in_script(RATING_QUESTION, ticket.script)


def answer_texts(ticket: Ticket) -> list[str]:
    """Every message the user receives for the answer, in order."""
    rating = rating_text(ticket)
    return [answer_text(ticket)] + ([rating] if rating else [])


def answer_text_for(ticket: Ticket, answer: str) -> str:
    """What the user receives for this answer (the console's preview): the answer, then the rating question
    as a second message."""
    text = texts.STAFF_ANSWER.format(number=ticket.number, answer=answer)
    if ticket.referral is None:
        text = f"{text}\n\n{RATING_QUESTION}"
    return in_script(text, ticket.script)


# Asked of a user who has had a ticket (the webhook asks ``user_tickets.owed_and_current`` instead, which reads
# the current ticket with it): built once with a bound parameter (building the select each time cost as much
# as running it).
_OWED = select(Ticket).where(Ticket.openid == bindparam("openid"), OWED).order_by(Ticket.answered_at)


class AnswerDelivery:
    """How a staff answer reaches the user: over the delivery service, telling staff when it cannot."""

    def __init__(self, deliveries: DeliveryService, notifier: StaffNotifier, clock: Clock, settings: Settings) -> None:
        self.deliveries = deliveries
        self.notifier = notifier
        self.clock = clock
        self.settings = settings  # the answer template id and the signed-link secret and base URL

    async def schedule(self, session: AsyncSession, ticket: Ticket) -> list[int]:
        """Record how this answer reaches the user; returns delivery ids to enqueue after commit."""
        now = self.clock.now()
        follower = await session.get(Follower, ticket.openid)
        key = f"ticket-answer:{ticket.number}:{ticket.version}"
        if window_open(follower, now):
            delivery = await self.deliveries.add(
                session,
                key=key,
                openid=ticket.openid,
                payload=text_payload(ticket.openid, answer_text(ticket)),
                purpose="ticket_answer",
                ref=ticket.number,
            )
            ticket.answer_delivery = "sending"
            return [delivery.id]
        return await self.notify_ready(session, ticket, key, reason="window closed")

    async def notify_ready(self, session: AsyncSession, ticket: Ticket, key: str, reason: str) -> list[int]:
        template_id = self.settings.wechat_answer_template_id
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                actor="system",
                action="answer_waiting",
                detail={"reason": reason},
                at=self.clock.now(),
            )
        )
        if not template_id:
            ticket.answer_delivery = "waiting"
            await self._tell_staff(
                session,
                ticket,
                "delivery_waiting",
                f"{ticket.number} 的答复无法推送（{reason}，未配置模板消息），将在用户下次留言时送达。",
            )
            return []
        delivery = await self.deliveries.add(
            session,
            key=f"{key}:notice",
            openid=ticket.openid,
            channel="template",
            purpose="answer_notice",
            ref=ticket.number,
            payload=self.template_payload(ticket),
        )
        ticket.answer_delivery = "notified"
        return [delivery.id]

    def template_payload(self, ticket: Ticket) -> dict[str, Any]:
        """The "answer ready" notice under the 2023 template rules: number, status and time in typed fields
        (no first/remark, no colours); the link opens the answer."""
        answered = ticket.answered_at or self.clock.now()
        return progress_payload(
            self.settings, ticket, texts.ANSWER_NOTICE_STATUS, answered, answer_link(self.settings, ticket)
        )


    async def ask_rating_after(self, session: AsyncSession, delivery: Delivery) -> list[int]:
        """An answer reached the user as a customer-service message: the rating question follows as its own
        message while the window is still open (stored now, in the send's transaction, so it never goes out
        before the answer; enqueued after that commit, keyed by the answer so it is asked once)."""
        if delivery.purpose != "ticket_answer" or not delivery.ref:
            return []
        ticket = await session.scalar(select(Ticket).where(Ticket.number == delivery.ref))
        rating = rating_text(ticket) if ticket is not None else None
        if ticket is None or rating is None or ticket.rating is not None:
            return []
        # An image staff attached goes between the answer and the question (answer_images lets it go after it).
        after_images = await images_waiting(session, ticket.number)
        asked = await self.deliveries.add(
            session,
            key=f"{delivery.key}:rating",
            openid=ticket.openid,
            payload=text_payload(ticket.openid, rating),
            purpose="rating_request",
            ref=ticket.number,
            held=after_images,
        )
        return [] if after_images else [asked.id]

    async def on_send_failed(self, session: AsyncSession, delivery: Delivery, exc: WeChatApiError) -> list[int]:
        """A customer-service answer was refused for good: fall back to the template notice when the window is
        the reason; otherwise mark it failed and tell staff."""
        ticket = await session.scalar(select(Ticket).where(Ticket.number == delivery.ref))
        if ticket is None:
            return []
        if exc.errcode in WINDOW_ERRORS:
            return await self.notify_ready(session, ticket, delivery.key, reason=f"WeChat {exc.errcode}")
        ticket.answer_delivery = "failed"
        await self._tell_staff(session, ticket, "delivery_failed", f"{ticket.number} 的答复发送失败：{exc}")
        return []

    async def _tell_staff(self, session: AsyncSession, ticket: Ticket, kind: str, text: str) -> None:
        """A console notification for the ticket's assignee (supervisors when nobody is assigned)."""
        await self.notifier.tell(
            session,
            recipient=ticket.assignee or "role:supervisor",
            kind=kind,
            text=text,
            now=self.clock.now(),
            ticket_id=ticket.id,
        )

    async def answers_waiting(self, session: AsyncSession, openid: str) -> list[str]:
        """Answers that could not be pushed; handed over now that the user wrote (their window is open again)."""
        return await self.hand_over_owed(session, list((await session.scalars(_OWED, {"openid": openid})).all()))

    async def hand_over_owed(self, session: AsyncSession, tickets: list[Ticket]) -> list[str]:
        """The texts of these owed answers, marked delivered (the user wrote: their window is open again)."""
        texts = []
        for ticket in tickets:
            texts.extend(answer_texts(ticket))
            ticket.answer_delivery = "sent"
            # Its images are let go too; the delivery sweeper sends them after the text (within a minute).
            await release_images(session, ticket.number, self.clock.now())
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    actor="system",
                    action="answer_delivered_on_return",
                    detail=None,
                    at=self.clock.now(),
                )
            )
        return texts


async def on_delivery_staff_action(
    session: AsyncSession, delivery: Delivery, username: str, action: str, detail: dict[str, Any], at: datetime
) -> None:
    """A person retried or confirmed one of a ticket's deliveries: the ticket's audit trail says so."""
    if delivery.ref:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == delivery.ref))
        if ticket is not None:
            session.add(TicketEvent(ticket_id=ticket.id, actor=username, action=action, detail=detail, at=at))


async def on_delivery_sent(session: AsyncSession, delivery: Delivery) -> None:
    if delivery.purpose == "ticket_answer" and delivery.ref:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == delivery.ref))
        if ticket is not None and ticket.answer_delivery == "sending":
            ticket.answer_delivery = "sent"
