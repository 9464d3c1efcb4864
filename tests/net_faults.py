"""Real network faults for tests: an ASGI app served by uvicorn on a real socket, and a TCP proxy in front of
it that delays the server's answers or stops accepting connections.

A slow or unreachable WeChat is only convincing over real TCP: an in-process transport cannot show the
difference between "the request never left" and "the request arrived and the answer is late", which is the
whole question for a send that must not be repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.asynccontextmanager
async def serve_asgi(app: Any) -> AsyncIterator[int]:
    """Serve ``app`` with uvicorn on this event loop; yields the port."""
    sock = _bound_socket()
    port = int(sock.getsockname()[1])
    # log_config=None: uvicorn leaves logging alone, so its records reach pytest's caplog like ours.
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", log_config=None))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(20):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        yield port
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 15)
        sock.close()


class DelayingProxy:
    """Forwards each client's bytes to ``upstream_port`` at once and holds every chunk of the answer back by
    ``delay`` seconds (settable while running). ``refuse()`` stops listening, so connects fail; ``accept()``
    listens again on the same port. While ``dropping`` is set every chunk, either way, is thrown away: connects
    still complete, but nothing arrives and nothing answers (a host whose packets a firewall drops)."""

    def __init__(self, upstream_port: int, delay: float = 0.0) -> None:
        self.upstream_port = upstream_port
        self.delay = delay
        self.dropping = False
        self.port = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> DelayingProxy:
        await self.accept()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.refuse()

    async def accept(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def refuse(self) -> None:
        """Stop listening and drop the open connections (idle keep-alive ones included)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            writer.close()
        self._open.clear()
        await asyncio.sleep(0.05)  # let the pipes see their connections end

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_writer.close()
            return
        pair = {client_writer, upstream_writer}
        self._open |= pair
        try:
            await asyncio.gather(
                self._pipe(client_reader, upstream_writer, delayed=False),
                self._pipe(upstream_reader, client_writer, delayed=True),
            )
        finally:
            for writer in pair:
                writer.close()
            self._open -= pair

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, delayed: bool) -> None:
        try:
            while not writer.is_closing() and (chunk := await reader.read(65536)):
                if self.dropping:
                    continue
                if delayed and self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
