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


async def test_one_client_has_one_batcher_and_different_scripts_share_its_round_trip(services) -> None:  # type: ignore[no-untyped-def]
    """The claim, the closing and the backlog take the client's one batcher, so their scripts of one loop turn
    go out together."""
    first = services.redis.register_script(ECHO)
    second = services.redis.register_script("return KEYS[1] .. ARGV[1] .. '!'")
    batcher = ScriptBatcher.of(services.redis)
    assert ScriptBatcher.of(services.redis) is batcher
    sizes: list[int] = []
    evalsha = batcher._evalsha

    async def recording(batch):  # type: ignore[no-untyped-def]
        sizes.append(len(batch))
        return await evalsha(batch)

    batcher._evalsha = recording  # type: ignore[method-assign]
    try:
        assert await asyncio.gather(batcher.run(first, ["a"], ["1"]), batcher.run(second, ["b"], ["2"])) == [
            b"1a",
            b"b2!",
        ]
    finally:
        del batcher._evalsha
    assert sizes[0] == 2  # (then the second alone again: the server did not know it yet, NOSCRIPT)
