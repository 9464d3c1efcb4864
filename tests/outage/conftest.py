"""The outage tests' shared fault: a Redis that accepts connections and never answers, two ways."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.net_faults import DelayingProxy
from tests.outage.faults import RedisServer, SilentRedis


@pytest.fixture(params=["hung server", "dropped packets"])
async def silent_redis(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SilentRedis]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        if request.param == "hung server":
            yield SilentRedis(server.url, server.pause, server.resume)
        else:
            async with DelayingProxy(server.port) as proxy:

                def drop() -> None:
                    proxy.dropping = True

                def forward() -> None:
                    proxy.dropping = False

                yield SilentRedis(f"redis://127.0.0.1:{proxy.port}/0", drop, forward)
    finally:
        server.stop()
