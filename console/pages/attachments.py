"""``/console/attachments/<id>``: a ticket's file, to logged-in staff who may open it (``tickets.attachments``).

Pictures, playable audio and video are served inline (the ticket page previews them); everything else, and any
file with ``?download=1``, as a download under its own name. A file is never served as HTML or script: its type
is one of the known media types or ``application/octet-stream``, with ``nosniff`` and a sandboxing CSP.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console.deps import Db, PageStaff, services_of
from console.pages.common import base_context, error_page
from staff.errors import NotAllowed, StaffActionError
from storage.blobs import BlobMissing, BlobStoreError
from tickets.attachment_models import Attachment
from tickets.attachments import PLAYABLE_AUDIO, PLAYABLE_VIDEO, PREVIEWABLE_IMAGES, may_open
from tickets.models import Ticket

router = APIRouter(prefix="/console", include_in_schema=False)

INLINE_TYPES = PREVIEWABLE_IMAGES | PLAYABLE_AUDIO | PLAYABLE_VIDEO
SAFE_TYPES = INLINE_TYPES | {"audio/amr", "application/pdf"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "audio/amr": "amr", "video/mp4": "mp4"}


class AttachmentUnavailable(StaffActionError):
    status = 404


class StoreUnavailable(StaffActionError):
    status = 503


def _download_name(attachment: Attachment, ticket: Ticket) -> str:
    if attachment.filename and "." in attachment.filename:
        return attachment.filename
    extension = EXTENSIONS.get(attachment.content_type or "", "bin")
    return f"{ticket.number}-{attachment.kind}-{attachment.id}.{extension}"


@router.get("/attachments/{attachment_id}")
async def attachment_file(
    request: Request,
    db: Db,
    staff: PageStaff,
    attachment_id: int,
    download: Annotated[str, Query(max_length=1)] = "",
    play: Annotated[str, Query(max_length=1)] = "",
) -> Response:
    services = services_of(request)
    attachment = await db.get(Attachment, attachment_id)
    ticket = await db.get(Ticket, attachment.ticket_id) if attachment is not None else None
    if attachment is None or ticket is None:
        context = await base_context(request, db, staff, "queue")
        return error_page(context, AttachmentUnavailable("没有这个附件"), "/console/tickets")
    if not await may_open(db, staff.user, ticket):
        context = await base_context(request, db, staff, "queue")
        refusal = NotAllowed("附件可能含有证件等个人信息，只有本工单所在部门的成员、负责人、分派员和主管可以查看")
        return error_page(context, refusal, f"/console/tickets/{ticket.number}")
    if attachment.state != "stored" or attachment.blob_key is None:
        context = await base_context(request, db, staff, "queue")
        return error_page(context, AttachmentUnavailable("附件尚未保存"), f"/console/tickets/{ticket.number}")
    key, content_type = attachment.blob_key, attachment.content_type
    if play and attachment.playable_key and attachment.playable_type:  # a voice's MP3 copy
        key, content_type = attachment.playable_key, attachment.playable_type
    try:
        content = await services.blobs.get(key)
    except (BlobMissing, BlobStoreError) as exc:
        context = await base_context(request, db, staff, "queue")
        missing = StoreUnavailable(f"附件文件暂时无法读取：{exc}")
        return error_page(context, missing, f"/console/tickets/{ticket.number}")
    content_type = content_type if content_type in SAFE_TYPES else "application/octet-stream"
    inline = content_type in INLINE_TYPES and not download
    name = _download_name(attachment, ticket)
    disposition = "inline" if inline else f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(
        content,
        media_type=content_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=300",
            "Referrer-Policy": "same-origin",
        },
    )
