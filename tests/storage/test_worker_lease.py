"""A worker keeps renewing a running job's lease after a renewal fails (``jobs.worker``): a lease left to expire
mid-job lets a second worker take the job while the first is still doing it."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
import redis.exceptions

from jobs.queue import JobQueue
from jobs.worker import Worker

pytestmark = pytest.mark.asyncio


class _FlakyRenewals:
    """Only what ``Worker._keep_lease`` uses of a queue: the first renewal fails as in a Redis outage."""

    def __init__(self) -> None:
        self.renewals: list[str] = []

    async def renew(self, job_id: str, lease_seconds: float) -> bool:
        self.renewals.append(job_id)
        if len(self.renewals) == 1:
            raise redis.exceptions.ConnectionError("Redis is marked down")
        return True


async def test_a_failed_renewal_does_not_stop_the_renewals() -> None:
    queue = _FlakyRenewals()
    worker = Worker(cast(JobQueue, queue), cast(dict[str, Any], {}), lease_seconds=0.03)
    renewing = asyncio.create_task(worker._keep_lease("job-1"))
    try:
        for _ in range(200):
            if len(queue.renewals) >= 3:
                break
            await asyncio.sleep(0.01)
        assert len(queue.renewals) >= 3, queue.renewals
        assert not renewing.done()
    finally:
        renewing.cancel()
