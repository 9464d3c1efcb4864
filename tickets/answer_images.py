"""An image staff attach to an answer: stored with the answer, sent to the user as an image customer-service
message after the answer's text.

- The file is checked (JPEG, PNG or GIF by its first bytes, at most ``QIAOBOT_ANSWER_IMAGE_MAX_BYTES``) and kept
  in the blob store as an outbound attachment of the answer.
- Its delivery is stored with the answer, ``held``: it is let go only once the text was delivered (the text's
  ``on_sent``), so the user never sees a picture before the words that explain it. If the text could not be
  pushed (window closed, template notice), the image waits for the user's next message, like the answer.
- Just before each send it is uploaded with ``media/upload`` (type image) unless an upload younger than WeChat's
  three days exists, and the send names that media_id. Uploading twice is harmless; the send itself goes through
  the delivery service, so a send whose outcome is unknown is never repeated blindly.
- WeChat refusing it because of the 48-hour window or the 5-message cap (45015/45047) holds it again for the
  user's next message, and the ticket's trail says so.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from calendars.clock import Clock
from delivery.service import DeliveryService
from staff.errors import StaffActionError
from staff.roles import Actor
from storage.blobs import BlobStore
from storage.models import Delivery
from tickets.attachment_models import Attachment
from tickets.models import Ticket, TicketEvent, TicketMessage
from wechat.api_errors import WeChatApiError
from wechat.media_api import WeChatMedia

PURPOSE = "ticket_answer_image"
RATING_PURPOSE = "rating_request"  # tickets.answer_delivery: the 回访 question after an answer, held behind images
WINDOW_ERRORS = frozenset({45015, 45047})
REUSE_UPLOAD_FOR = timedelta(days=2, hours=12)  # WeChat keeps an upload 3 days; leave room for a slow queue
# The signature each accepted format starts with; the declared type is not trusted.
SIGNATURES = {
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"GIF8": ("image/gif", "gif"),
}


def image_type(content: bytes) -> tuple[str, str] | None:
    for magic, kind in SIGNATURES.items():
        if content.startswith(magic):
            return kind
    return None


def check_image(content: bytes, limit: int) -> tuple[str, str]:
    """(content type, extension) of an acceptable image, or a refusal staff can act on."""
    if not content:
        raise StaffActionError("图片文件是空的，请重新选择")
    if len(content) > limit:
        raise StaffActionError(
            f"图片 {len(content) / (1024 * 1024):.1f} MB，超过微信图片消息的上限 {limit / (1024 * 1024):.0f} MB，"
            "请压缩后再附上"
        )
    kind = image_type(content)
    if kind is None:
        raise StaffActionError("只能附 JPG、PNG 或 GIF 图片")
    return kind


async def attach_answer_image(
    session: AsyncSession,
    blobs: BlobStore,
    deliveries: DeliveryService,
    ticket: Ticket,
    actor: Actor,
    content: bytes,
    filename: str,
    limit: int,
    now: datetime,
) -> Delivery:
    """Store the image with the ticket's current answer and record its held delivery (the caller commits)."""
    content_type, extension = check_image(content, limit)
    answer_line = await session.scalar(
        select(TicketMessage.id)
        .where(TicketMessage.ticket_id == ticket.id, TicketMessage.kind == "answer")
        .order_by(TicketMessage.id.desc())
        .limit(1)
    )
    attachment = Attachment(
        ticket_id=ticket.id,
        message_id=answer_line,
        direction="out",
        kind="image",
        author=actor.username,
        received_at=now,
        state="stored",
        attempts=0,
        error="",
        content_type=content_type,
        filename=(filename or f"answer.{extension}")[:255],
        size=len(content),
        created_at=now,
        updated_at=now,
    )
    session.add(attachment)
    await session.flush()
    key = f"answers/{now:%Y/%m/%d}/{attachment.id}.{extension}"
    await blobs.put(key, content, content_type)  # before the commit: a delivery never names a missing file
    attachment.blob_key = key
    attachment.sha256 = hashlib.sha256(content).hexdigest()
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            actor=actor.username,
            action="answer_image_attached",
            detail={"attachment": attachment.id},
            at=now,
        )
    )
    return await deliveries.add(
        session,
        key=f"ticket-answer:{ticket.number}:{ticket.version}:image:{attachment.id}",
        openid=ticket.openid,
        payload={"touser": ticket.openid, "msgtype": "image", "image": {"attachment_id": attachment.id}},
        purpose=PURPOSE,
        ref=ticket.number,
        held=True,
    )


@dataclass(frozen=True)
class AnswerImage:
    """The image staff attached to an answer, as uploaded (the form's file, or the API's base64)."""

    content: bytes
    filename: str = ""


def decoded_image(content_base64: str, filename: str = "") -> AnswerImage:
    """The JSON API's image: standard base64 (RFC 4648 §4), line breaks allowed, or a ``data:…;base64,`` URL
    as a browser's FileReader makes it; anything else is refused with a reason staff can act on."""
    text = content_base64.strip()
    if text.startswith("data:"):
        header, comma, rest = text.partition(",")
        if not comma or not header.endswith(";base64"):
            raise StaffActionError("图片的 data URL 须为 base64 编码（data:image/…;base64,…）")
        text = rest
    try:
        content = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise StaffActionError("图片内容不是有效的 base64 编码") from None
    return AnswerImage(content, filename)


async def images_waiting(session: AsyncSession, ticket_number: str) -> bool:
    """Whether an answer image of the ticket is still to be sent (held, queued or on its way)."""
    found = await session.scalar(
        select(Delivery.id)
        .where(
            Delivery.purpose == PURPOSE,
            Delivery.ref == ticket_number,
            Delivery.state.in_(("held", "pending", "sending")),
        )
        .limit(1)
    )
    return found is not None


async def release_rating(session: AsyncSession, ticket_number: str, now: datetime) -> list[int]:
    """The rating question held behind the ticket's answer images, once none is left to send."""
    if await images_waiting(session, ticket_number):
        return []
    held = (
        await session.scalars(
            select(Delivery).where(
                Delivery.purpose == RATING_PURPOSE, Delivery.ref == ticket_number, Delivery.state == "held"
            )
        )
    ).all()
    for delivery in held:
        delivery.state = "pending"
        delivery.updated_at = now
    return [delivery.id for delivery in held]


async def release_images(session: AsyncSession, ticket_number: str, now: datetime) -> list[int]:
    """Let the ticket's held answer images go (the caller enqueues the ids after its commit)."""
    held = (
        await session.scalars(
            select(Delivery).where(Delivery.purpose == PURPOSE, Delivery.ref == ticket_number, Delivery.state == "held")
        )
    ).all()
    for delivery in held:
        delivery.state = "pending"
        delivery.updated_at = now
    return [delivery.id for delivery in held]


class AnswerImages:
    """The delivery service's hooks for answer images: prepare (upload), after the text (release), refused."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], blobs: BlobStore, media: WeChatMedia, clock: Clock
    ) -> None:
        self.sessions = sessions
        self.blobs = blobs
        self.media = media
        self.clock = clock

    async def prepare(self, payload: dict[str, Any]) -> dict[str, Any]:
        attachment_id = int(payload["image"]["attachment_id"])
        now = self.clock.now()
        async with self.sessions() as session:
            attachment = await session.get(Attachment, attachment_id)
            if attachment is None or attachment.blob_key is None:
                raise StaffActionError(f"附件 {attachment_id} 不存在")
            media_id, uploaded_at = attachment.upload_media_id, attachment.uploaded_at
            key, filename, content_type = attachment.blob_key, attachment.filename, attachment.content_type
        if media_id is None or uploaded_at is None or now - uploaded_at > REUSE_UPLOAD_FOR:
            content = await self.blobs.get(key)
            media_id = await self.media.upload("image", filename or key.rsplit("/", 1)[-1], content, content_type or "")
            async with self.sessions() as session, session.begin():
                attachment = await session.get(Attachment, attachment_id)
                if attachment is not None:
                    attachment.upload_media_id, attachment.uploaded_at = media_id, now
        return {"touser": payload["touser"], "msgtype": "image", "image": {"media_id": media_id}}

    async def after_sent(self, session: AsyncSession, delivery: Delivery) -> list[int]:
        """The answer's text went: its images go. An image went: the rating question (if held) goes."""
        if delivery.purpose == "ticket_answer" and delivery.ref:
            return await release_images(session, delivery.ref, self.clock.now())
        if delivery.purpose == PURPOSE and delivery.ref:
            return await release_rating(session, delivery.ref, self.clock.now())
        return []

    async def on_refused(self, session: AsyncSession, delivery: Delivery, exc: WeChatApiError) -> list[int]:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == delivery.ref))
        released: list[int] = []
        if exc.errcode in WINDOW_ERRORS:
            delivery.state = "held"  # goes with the answer when the user next writes
        elif delivery.ref:
            await session.flush()
            released = await release_rating(session, delivery.ref, self.clock.now())  # no image will go first
        if ticket is not None:
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    actor="system",
                    action="answer_image_waiting" if exc.errcode in WINDOW_ERRORS else "answer_image_failed",
                    detail={"errcode": exc.errcode},
                    at=self.clock.now(),
                )
            )
        return released
