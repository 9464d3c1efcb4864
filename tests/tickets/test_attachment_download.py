"""The attachment download job: WeChat's temporary media into the blob store, with retries, the size limit and
WeChat's three days, through the real job queue and the fake WeChat API."""

from __future__ import annotations

from datetime import timedelta

import pytest
import pytest_asyncio

from handlers.inbound_media import InboundMedia
from storage.blobs import BlobStoreError, LocalBlobStore
from storage.models import Follower
from tickets.attachment_download import job_id
from tickets.attachment_models import Attachment
from tickets.attachments import record_inbound, ticket_attachments
from tickets.models import Ticket, TicketMessage
from wechat.fake_api import FakeWeChatState

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20 + b"\xff\xd9"



@pytest_asyncio.fixture
async def services(make_services, fake_clock):  # type: ignore[no-untyped-def]
    return await make_services(clock=fake_clock)


async def _ticket(services) -> Ticket:  # type: ignore[no-untyped-def]
    now = services.clock.now()
    async with services.sessions() as session:
        session.add(Follower(openid="o_att", subscribed=True, last_interaction_at=now, script="hans", created_at=now))
        ticket = Ticket(
            number="Q20261123-0001",
            openid="o_att",
            source_key="test:att",
            state="open",
            question="护照照片页这样拍可以吗？",
            script="hans",
            created_at=now,
            due_at=now + timedelta(days=2),
            due_provisional=False,
            answer_delivery="none",
            reopen_count=0,
        )
        session.add(ticket)
        await session.commit()
        return ticket


async def _attach(services, fake: FakeWeChatState, kind: str = "image", content: bytes = JPEG) -> int:  # type: ignore[no-untyped-def]
    ticket = await _ticket(services)
    media_id = fake.add_user_media(kind, content)
    now = services.clock.now()
    async with services.sessions() as session:
        attachment = await record_inbound(
            session, ticket, InboundMedia(kind, media_id, now), "o_att", "msg:1", now
        )
        await session.commit()
        attachment_id = attachment.id
    await services.downloads.enqueue(attachment_id)
    return attachment_id


async def _row(services, attachment_id: int) -> Attachment:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        row = await session.get(Attachment, attachment_id)
        assert row is not None
        return row


async def test_an_image_is_downloaded_and_stored(services, fake_wechat: FakeWeChatState) -> None:  # type: ignore[no-untyped-def]
    attachment_id = await _attach(services, fake_wechat)
    assert await services.worker().run_once() == 1
    row = await _row(services, attachment_id)
    assert (row.state, row.content_type, row.size, row.error) == ("stored", "image/jpeg", len(JPEG), "")
    assert row.blob_key is not None and row.blob_key.startswith("attachments/2026/11/23/")
    assert isinstance(services.blobs, LocalBlobStore)
    assert (services.settings.attachment_dir / row.blob_key).read_bytes() == JPEG
    assert await services.blobs.get(row.blob_key) == JPEG
    async with services.sessions() as session:
        line = await session.get(TicketMessage, row.message_id)
        assert line is not None and line.body == "[图片]"
        (view,) = await ticket_attachments(session, row.ticket_id)
    assert view.preview and view.state_name == "已保存"
    assert (await services.queue.get(job_id(attachment_id))).state == "done"  # type: ignore[union-attr]


async def test_a_failed_download_stays_pending_and_is_retried(services, fake_wechat: FakeWeChatState) -> None:  # type: ignore[no-untyped-def]
    attachment_id = await _attach(services, fake_wechat)
    fake_wechat.fail_next("media/get", -1)
    await services.worker().run_once()
    row = await _row(services, attachment_id)
    assert (row.state, row.attempts) == ("pending", 1)
    assert "稍后重试" in row.error
    job = await services.queue.get(job_id(attachment_id))
    assert job is not None and job.state == "queued" and job.run_at > job.created_at  # retried with back-off
    fake_wechat.fail_next("media/get", http_status=503)
    with pytest.raises(Exception, match="503"):
        await services.downloads.run_job({"attachment_id": attachment_id})
    assert (await _row(services, attachment_id)).attempts == 2
    await services.downloads.run_job({"attachment_id": attachment_id})  # WeChat answers again
    assert (await _row(services, attachment_id)).state == "stored"
    assert len(fake_wechat.calls_to("media/get")) == 3


async def test_a_store_outage_is_retried_too(services, fake_wechat: FakeWeChatState) -> None:  # type: ignore[no-untyped-def]
    real = services.downloads.blobs

    class Broken:
        async def put(self, key: str, content: bytes, content_type: str) -> None:
            raise BlobStoreError("S3 PUT: HTTP 503 Slow Down")

    attachment_id = await _attach(services, fake_wechat)
    services.downloads.blobs = Broken()
    with pytest.raises(Exception, match="Slow Down"):
        await services.downloads.run_job({"attachment_id": attachment_id})
    assert (await _row(services, attachment_id)).state == "pending"
    services.downloads.blobs = real
    await services.downloads.run_job({"attachment_id": attachment_id})
    assert (await _row(services, attachment_id)).state == "stored"


async def test_over_the_limit_is_not_kept_and_says_why(services, fake_wechat: FakeWeChatState) -> None:  # type: ignore[no-untyped-def]
    services.downloads.max_bytes = 64 * 1024
    attachment_id = await _attach(services, fake_wechat, "video", b"\x00" * (200 * 1024))
    await services.worker().run_once()
    row = await _row(services, attachment_id)
    assert row.state == "too_large"
    assert row.blob_key is None
    assert "0.2 MB" in row.error and "0.1 MB" in row.error  # its size and the limit, for staff


async def test_after_three_days_it_is_expired_without_asking(  # type: ignore[no-untyped-def]
    services, fake_wechat: FakeWeChatState, fake_clock
) -> None:
    attachment_id = await _attach(services, fake_wechat, "voice", b"#!AMR\n\x01\x02")
    fake_clock.advance(days=3)
    await services.worker().run_once()
    row = await _row(services, attachment_id)
    assert row.state == "expired" and "3 天" in row.error
    assert fake_wechat.calls_to("media/get") == []


async def test_wechat_forgetting_it_early_is_a_failure_not_expiry(services, fake_wechat: FakeWeChatState) -> None:  # type: ignore[no-untyped-def]
    attachment_id = await _attach(services, fake_wechat)
    fake_wechat.fail_next("media/get", 40007)
    await services.worker().run_once()
    row = await _row(services, attachment_id)
    assert row.state == "failed" and "40007" in row.error


async def test_the_sweep_gives_lost_downloads_a_new_job(  # type: ignore[no-untyped-def]
    services, fake_wechat: FakeWeChatState, fake_clock
) -> None:
    attachment_id = await _attach(services, fake_wechat)
    await services.queue.redis.delete(services.queue.data_prefix + job_id(attachment_id))
    await services.queue.redis.zrem(services.queue.due_key, job_id(attachment_id))
    assert await services.downloads.sweep() == 0  # too fresh: its job may be on the way
    fake_clock.advance(minutes=3)
    assert await services.downloads.sweep() == 1
    await services.worker().run_once()
    assert (await _row(services, attachment_id)).state == "stored"
    assert await services.downloads.sweep() == 0
