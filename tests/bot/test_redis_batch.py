"""Auto-pipelined scripts: each caller gets its own result or its own error, batched or alone."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ResponseError

from storage.redis_batch import ScriptBatcher

pytestmark = pytest.mark.asyncio

ECHO = "if ARGV[1] == 'boom' then return redis.error_reply('boom') end return ARGV[1] .. KEYS[1]"


async def test_concurrent_calls_share_a_pipeline_and_keep_their_results(services) -> None:  # type: ignore[no-untyped-def]
    script = services.redis.register_script(ECHO)
    batcher = ScriptBatcher(services.redis)
    results = await asyncio.gather(
        *(batcher.run(script, [f"k{i}"], [str(i)]) for i in range(50)), return_exceptions=True
    )
    assert results == [f"{i}k{i}".encode() for i in range(50)]


async def test_one_failing_call_does_not_fail_the_others(services) -> None:  # type: ignore[no-untyped-def]
    script = services.redis.register_script(ECHO)
    batcher = ScriptBatcher(services.redis)
    results: list[object] = list(
        await asyncio.gather(
            batcher.run(script, ["a"], ["x"]), batcher.run(script, ["b"], ["boom"]), return_exceptions=True
        )
    )
    ok, bad = results
    assert ok == b"xa"
    assert isinstance(bad, ResponseError)


async def test_a_lone_call_completes(services) -> None:  # type: ignore[no-untyped-def]
    script = services.redis.register_script(ECHO)
    assert await ScriptBatcher(services.redis).run(script, ["z"], ["y"]) == b"yz"


async def test_scripts_the_server_forgot_are_loaded_again(services) -> None:  # type: ignore[no-untyped-def]
    """After a Redis restart its script cache is empty; the batch loads the script and still answers."""
    script = services.redis.register_script(ECHO)
    batcher = ScriptBatcher(services.redis)
    assert await batcher.run(script, ["a"], ["1"]) == b"1a"
    await services.redis.script_flush()
    results = await asyncio.gather(*(batcher.run(script, [f"k{i}"], [str(i)]) for i in range(5)))
    assert results == [f"{i}k{i}".encode() for i in range(5)]
