"""Fixtures for the FAQ tests: matchers are built once per module (jieba start-up is slow)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from faq.kb import FaqEntry, load_kb
from faq.matcher import FaqMatcher

# Embedding vectors of the test KBs go to a throw-away cache, not the user's home.
os.environ.setdefault("QIAOBOT_FAQ_EMBEDDING_CACHE", tempfile.mkdtemp(prefix="faq-emb-test-"))

DATA = Path(__file__).with_name("data")
MINI_KB = DATA / "mini_kb.yaml"


@pytest.fixture(scope="module")
def mini_entries() -> list[FaqEntry]:
    return load_kb(MINI_KB)


@pytest.fixture(scope="module")
def mini_matcher(mini_entries: list[FaqEntry]) -> FaqMatcher:
    return FaqMatcher.build(mini_entries)
