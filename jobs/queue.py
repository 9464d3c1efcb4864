"""The job queue's storage: Redis hashes for jobs and sorted sets for what is due, running and failed.

Why not a plain list: a job popped by a worker that then dies would be gone. Here a claimed job moves to
``inflight`` with a lease deadline; a worker renews the lease while it works, and any worker returns
lapsed leases to ``due``. So a job is delivered at least once; the job's own handler makes the effect
exactly-once (every WeChat send has an idempotency key and a stored state before it leaves).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

_CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], ARGV[3], id)
  redis.call('HSET', ARGV[4] .. id, 'state', 'running', 'claimed_at', ARGV[1])
  redis.call('HINCRBY', ARGV[4] .. id, 'attempts', 1)
end
return ids
"""

_REAP = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], ARGV[1], id)
  redis.call('HSET', ARGV[2] .. id, 'state', 'queued', 'last_error', 'worker lease lapsed; requeued')
end
return ids
"""

_RENEW = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) return 1
end
return 0
"""


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    state: str
    last_error: str
    created_at: float
    run_at: float


class JobQueue:
    def __init__(self, redis: aioredis.Redis, name: str = "default", prefix: str = "qiaobot:jobs:") -> None:
        self.redis = redis
        base = f"{prefix}{name}:"
        self.due_key = base + "due"
        self.inflight_key = base + "inflight"
        self.failed_key = base + "failed"
        self.data_prefix = base + "job:"
        self._claim = redis.register_script(_CLAIM)
        self._reap = redis.register_script(_REAP)
        self._renew = redis.register_script(_RENEW)

    async def enqueue(
        self, kind: str, payload: dict[str, Any], *, job_id: str | None = None, delay: float = 0.0
    ) -> tuple[str, bool]:
        """Add a job; with ``job_id`` the call is idempotent. Returns (id, created)."""
        job_id = job_id or uuid.uuid4().hex
        now = time.time()
        key = self.data_prefix + job_id
        created = await self.redis.hsetnx(key, "kind", kind)
        if not created:
            return job_id, False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key,
                mapping={
                    "payload": json.dumps(payload, ensure_ascii=False),
                    "attempts": 0,
                    "state": "queued",
                    "last_error": "",
                    "created_at": now,
                    "run_at": now + delay,
                },
            )
            pipe.zadd(self.due_key, {job_id: now + delay})
            await pipe.execute()
        return job_id, True

    async def claim(self, limit: int, lease_seconds: float) -> list[Job]:
        now = time.time()
        ids = await self._claim(
            keys=[self.due_key, self.inflight_key], args=[now, limit, now + lease_seconds, self.data_prefix]
        )
        jobs = [await self.get(_text(job_id)) for job_id in ids]
        return [job for job in jobs if job is not None]

    async def renew(self, job_id: str, lease_seconds: float) -> bool:
        return bool(await self._renew(keys=[self.inflight_key], args=[job_id, time.time() + lease_seconds]))

    async def reap(self) -> int:
        """Return jobs whose worker stopped renewing (crashed, killed) to the due set."""
        ids = await self._reap(keys=[self.inflight_key, self.due_key], args=[time.time(), self.data_prefix])
        return len(ids)

    async def complete(self, job_id: str, keep_seconds: int = 7 * 24 * 3600) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.inflight_key, job_id)
            pipe.hset(self.data_prefix + job_id, mapping={"state": "done", "finished_at": time.time()})
            pipe.expire(self.data_prefix + job_id, keep_seconds)
            await pipe.execute()

    async def retry(self, job_id: str, delay: float, error: str) -> None:
        run_at = time.time() + delay
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.inflight_key, job_id)
            pipe.zadd(self.due_key, {job_id: run_at})
            pipe.hset(self.data_prefix + job_id, mapping={"state": "queued", "last_error": error, "run_at": run_at})
            await pipe.execute()

    async def fail(self, job_id: str, error: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.inflight_key, job_id)
            pipe.zadd(self.failed_key, {job_id: time.time()})
            pipe.hset(self.data_prefix + job_id, mapping={"state": "failed", "last_error": error})
            await pipe.execute()

    async def requeue_failed(self, job_id: str) -> bool:
        """A person decided to try a failed job again."""
        if not await self.redis.zrem(self.failed_key, job_id):
            return False
        await self.redis.zadd(self.due_key, {job_id: time.time()})
        await self.redis.hset(self.data_prefix + job_id, mapping={"state": "queued", "attempts": 0})
        return True

    async def get(self, job_id: str) -> Job | None:
        raw = await self.redis.hgetall(self.data_prefix + job_id)
        if not raw or b"payload" not in raw:
            return None
        data = {_text(k): _text(v) for k, v in raw.items()}
        return Job(
            id=job_id,
            kind=data["kind"],
            payload=json.loads(data["payload"]),
            attempts=int(data.get("attempts", 0)),
            state=data.get("state", ""),
            last_error=data.get("last_error", ""),
            created_at=float(data.get("created_at", 0)),
            run_at=float(data.get("run_at", 0)),
        )

    async def failed(self, limit: int = 100) -> list[Job]:
        ids = await self.redis.zrevrange(self.failed_key, 0, limit - 1)
        jobs = [await self.get(_text(job_id)) for job_id in ids if isinstance(job_id, bytes | str)]
        return [job for job in jobs if job is not None]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
