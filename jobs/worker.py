"""Runs jobs: claims due ones, keeps their leases alive, retries transient failures with backoff.

A handler raises ``RetryLater`` (or an exception whose ``transient`` attribute is true, such as a WeChat
"system busy") to be tried again; anything else fails the job, which then stays in the failed set for staff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from jobs.queue import Job, JobQueue

log = logging.getLogger(__name__)

JobHandler = Callable[[dict[str, Any]], Awaitable[None]]


class RetryLater(Exception):
    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


def backoff(attempts: int, base: float = 2.0, cap: float = 600.0) -> float:
    return min(cap, base ** max(1, attempts))


class Worker:
    def __init__(
        self,
        queue: JobQueue,
        handlers: dict[str, JobHandler],
        *,
        concurrency: int = 8,
        lease_seconds: float = 30.0,
        max_attempts: int = 8,
        poll_seconds: float = 0.2,
        on_error: Callable[[BaseException], bool] | None = None,
    ) -> None:
        self.queue = queue
        self.handlers = handlers
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        # Returns True for an error it has reported itself (an outage, logged once per change).
        self.on_error = on_error or (lambda exc: False)
        self._stopping = asyncio.Event()

    async def run_once(self) -> int:
        """Reap lapsed leases and run one batch of due jobs; returns how many ran."""
        await self.queue.reap()
        jobs = await self.queue.claim(self.concurrency, self.lease_seconds)
        if jobs:
            await asyncio.gather(*(self._run(job) for job in jobs))
        return len(jobs)

    async def run_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                ran = await self.run_once()
            except Exception as exc:
                if not self.on_error(exc):
                    log.exception("job worker loop error")
                ran = 0
                await asyncio.sleep(self.poll_seconds * 5)
            if not ran:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.poll_seconds)

    def stop(self) -> None:
        self._stopping.set()

    async def _run(self, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        if handler is None:
            await self.queue.fail(job.id, f"no handler for job kind {job.kind!r}")
            return
        renewer = asyncio.create_task(self._keep_lease(job.id))
        try:
            await handler(job.payload)
        except Exception as exc:
            await self._after_failure(job, exc)
        else:
            await self.queue.complete(job.id)
        finally:
            renewer.cancel()

    async def _after_failure(self, job: Job, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        transient = isinstance(exc, RetryLater) or bool(getattr(exc, "transient", False))
        if transient and job.attempts < self.max_attempts:
            delay = exc.delay if isinstance(exc, RetryLater) and exc.delay is not None else backoff(job.attempts)
            log.warning(
                "job %s (%s) attempt %s failed, retrying in %.0fs: %s",
                job.id,
                job.kind,
                job.attempts,
                delay,
                error,
            )
            await self.queue.retry(job.id, delay, error)
        else:
            log.error("job %s (%s) failed for good after %s attempts: %s", job.id, job.kind, job.attempts, error)
            await self.queue.fail(job.id, error)

    async def _keep_lease(self, job_id: str) -> None:
        # Renewed every third of the lease, so one failed renewal (Redis out for a moment, or the guard's
        # fail-fast while it is marked down) leaves two more tries before the lease runs out. Stopping at the
        # first failure let the lease expire mid-job: another worker took the job, found its delivery
        # "sending" and marked it uncertain while this one was still sending it.
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                await self.queue.renew(job_id, self.lease_seconds)
            except Exception as exc:
                log.warning(
                    "job %s: could not renew its lease, trying again in %.0fs: %s", job_id, self.lease_seconds / 3, exc
                )
