"""Plug the help desk into the service: the desk, answer-delivery hooks, the tracker's periodic sweeps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery
from tickets import answer_delivery, desk
from tickets.desk import TicketDesk
from tickets.reminders import follow_calendar_changes, sweep_reminders
from tickets.time_limits import close_silent_waits
from wechat.api_client import WeChatApiError

if TYPE_CHECKING:
    from bot.services import Services


def install(services: Services) -> None:
    services.desk = TicketDesk(services)
    services.prefetch.extend([desk.awaiting_key, desk.ready_key, desk.has_ticket_key])
    deliveries = services.deliveries

    async def on_answer_failed(session: AsyncSession, delivery: Delivery, exc: WeChatApiError) -> list[int]:
        return await answer_delivery.on_answer_send_failed(session, delivery, exc, services)

    deliveries.on_permanent_failure["ticket_answer"] = on_answer_failed
    deliveries.on_sent.append(answer_delivery.on_delivery_sent)
    deliveries.on_staff_action.append(answer_delivery.on_delivery_staff_action)
    services.periodic.append((60.0, lambda: sweep_reminders(services)))
    services.periodic.append((300.0, lambda: follow_calendar_changes(services)))
    services.periodic.append((600.0, lambda: close_silent_waits(services)))
