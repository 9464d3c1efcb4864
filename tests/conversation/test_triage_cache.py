"""The triage's memory of texts (handlers.triage._by_text): bounded by count and by length."""

from __future__ import annotations

from handlers import triage


def test_a_long_text_is_triaged_without_being_remembered() -> None:
    """The triage cache keys on whole texts: short ones are remembered, a long one is read each time, so that
    4,096 long messages cannot hold megabytes (the answer is the same either way)."""
    triage._by_text.cache_clear()
    short = "护照丢了怎么办"
    long = "我的护照丢了，" * 200
    assert triage.classify(short, ()) == triage.classify(short, ())
    assert triage._by_text.cache_info().currsize == 1
    assert triage.classify(long, ()) == "request"  # names a domain word, as the short one does
    assert triage._by_text.cache_info().currsize == 1  # the long one was not kept
