"""An open-loop load generator: requests leave on a fixed schedule (``rate`` a second), whether or not earlier
ones were answered, as WeChat's traffic arrives. Latency is counted from each request's scheduled time, so a
stalled server shows as latency instead of as fewer requests (no coordinated omission).

Plain asyncio sockets with keep-alive, HTTP/1.1, one request per connection at a time: a connection is
reused when idle, and a new one opened when none is, so the generator itself never queues requests.

Like any keep-alive client (RFC 9112 §9.3: either side may close an idle connection at any time), it does not
reuse a connection the server has closed or is about to close: uvicorn closes one idle for 5 s
(``timeout_keep_alive``), and a request written into it meets the close and is lost before the server reads
it. Counting that as the service's error was the bench's mistake (seen as IncompleteReadError on connections
idle 6.4 s, about one per 10 s row at 100/s); such connections are closed here and counted in ``expired``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, from the scheduled time
    statuses: dict[int, int] = field(default_factory=dict)
    success_bodies: int = 0  # answered "success" (past the passive-reply budget: pushed later)
    errors: int = 0  # connection failures or time-outs
    error_kinds: dict[str, int] = field(default_factory=dict)  # what each error was, for the report
    expired: int = 0  # idle connections closed instead of reused (past the server's keep-alive)
    sent: int = 0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


# Reuse a connection only if it has been idle less than this: below uvicorn's 5 s keep-alive timeout, with
# room for a request in flight to reach the server before it closes the connection.
REUSE_IDLE_S = 4.0


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.idle_since = 0.0

    async def exchange(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
        body = await self.reader.readexactly(length) if length else b""
        return status, body


def http_request(host: str, port: int, path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: text/xml\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1") + body


async def run(
    host: str, port: int, requests: list[bytes], rate: float, seconds: float, timeout: float = 10.0
) -> Result:
    result = Result()
    idle: list[_Connection] = []
    tasks: list[asyncio.Task[None]] = []
    loop = asyncio.get_running_loop()
    count = min(len(requests), int(rate * seconds))
    start = loop.time() + 0.2

    def reusable() -> _Connection | None:
        while idle:
            connection = idle.pop()
            if not connection.reader.at_eof() and loop.time() - connection.idle_since < REUSE_IDLE_S:
                return connection
            result.expired += 1
            connection.writer.close()
        return None

    async def one(raw: bytes, scheduled: float) -> None:
        connection = reusable()
        reused = connection is not None
        try:
            if connection is None:
                reader, writer = await asyncio.open_connection(host, port)
                connection = _Connection(reader, writer)
            status, body = await asyncio.wait_for(connection.exchange(raw), timeout)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
            result.errors += 1
            kind = f"{type(error).__name__} on a {'reused' if reused else 'new'} connection"
            result.error_kinds[kind] = result.error_kinds.get(kind, 0) + 1
            if connection is not None:
                connection.writer.close()
            return
        result.latencies.append(loop.time() - scheduled)
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if body == b"success":
            result.success_bodies += 1
        connection.idle_since = loop.time()
        idle.append(connection)

    for index in range(count):
        scheduled = start + index / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(requests[index], scheduled)))
        result.sent += 1
    await asyncio.gather(*tasks)
    for connection in idle:
        connection.writer.close()
    return result


def run_blocking(host: str, port: int, requests: list[bytes], rate: float, seconds: float) -> Result:
    try:
        import uvloop

        return uvloop.run(run(host, port, requests, rate, seconds))
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        return asyncio.run(run(host, port, requests, rate, seconds))

