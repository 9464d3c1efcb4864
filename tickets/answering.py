"""A staff answer with its optional image, one rule for the ticket page's form and the JSON API: the text is
stored and its delivery recorded (``tickets.actions.answer_ticket``), then the image is checked, stored and
given a delivery held until the text was delivered (``tickets.answer_images``). Nothing here commits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from staff.roles import Actor
from storage.blobs import BlobStore
from storage.models import Delivery
from tickets.actions import AnswerOutcome, answer_ticket
from tickets.answer_images import AnswerImage, attach_answer_image

if TYPE_CHECKING:
    from tickets.answer_delivery import AnswerDelivery


async def answer_with_image(
    answers: AnswerDelivery,
    session: AsyncSession,
    blobs: BlobStore,
    number: str,
    actor: Actor,
    text: str,
    version: int,
    image: AnswerImage | None,
    limit: int,
) -> tuple[AnswerOutcome, Delivery | None]:
    """Answer the ticket and attach its image (the caller commits, then enqueues the answer's deliveries; the
    image's is held until the text went). A refused image raises before the caller commits, so neither the
    answer nor the file is kept."""
    outcome = await answer_ticket(answers, session, number, actor, text, version)
    if image is None:
        return outcome, None
    delivery = await attach_answer_image(
        session,
        blobs,
        answers.deliveries,
        outcome.ticket,
        actor,
        image.content,
        image.filename,
        limit,
        answers.clock.now(),
    )
    return outcome, delivery
