"""Fixtures for the FAQ tests: matchers are built once per module (jieba start-up is slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq.kb import FaqEntry, load_kb
from faq.matcher import FaqMatcher

DATA = Path(__file__).with_name("data")
MINI_KB = DATA / "mini_kb.yaml"


@pytest.fixture(scope="module")
def mini_entries() -> list[FaqEntry]:
    return load_kb(MINI_KB)


@pytest.fixture(scope="module")
def mini_matcher(mini_entries: list[FaqEntry]) -> FaqMatcher:
    return FaqMatcher.build(mini_entries)
