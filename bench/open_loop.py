"""An open-loop load generator: requests leave on a fixed schedule (``rate`` a second), whether or not earlier
ones were answered, as WeChat's traffic arrives. Latency is counted from each request's scheduled time, so a
stalled server shows as latency instead of as fewer requests (no coordinated omission).

Plain asyncio sockets with keep-alive, HTTP/1.1, one request per connection at a time: a connection is
reused when idle, and a new one opened when none is, so the generator itself never queues requests.
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
    sent: int = 0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

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

    async def one(raw: bytes, scheduled: float) -> None:
        connection = idle.pop() if idle else None
        try:
            if connection is None:
                reader, writer = await asyncio.open_connection(host, port)
                connection = _Connection(reader, writer)
            status, body = await asyncio.wait_for(connection.exchange(raw), timeout)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            result.errors += 1
            if connection is not None:
                connection.writer.close()
            return
        result.latencies.append(loop.time() - scheduled)
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if body == b"success":
            result.success_bodies += 1
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

