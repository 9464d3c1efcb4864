"""The hotline's own entries (ticket status, privacy, scope) are reached by words about *this* hotline or
*my* case: an ordinary question that says "an update", "do you keep" or "what questions" about a policy, a
document or an interview is not about the hotline (config/faq_vocabulary.yaml, #progress/#privacy/#scope)."""

from __future__ import annotations

import pytest

from config.settings import CONFIG_DIR
from faq.analysis import Analyzer
from faq.kb import load_kb
from faq.matcher import FaqMatcher

_HOTLINE = ("hotline-ticket-status", "hotline-privacy", "hotline-scope")


@pytest.fixture(scope="module")
def shipped() -> FaqMatcher:
    return FaqMatcher.build(load_kb(CONFIG_DIR / "faq.yaml"))


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Is there an update to the visa-free policy for Malaysians?", "#progress"),
        ("Do you keep the original documents when I apply for a passport?", "#privacy"),
        ("What questions are on the Chinese citizenship interview?", "#scope"),
    ],
)
def test_an_ordinary_question_is_not_read_as_about_the_hotline(text: str, concept: str) -> None:
    assert concept not in Analyzer().analyze(text).units


@pytest.mark.parametrize(
    "text",
    [
        "Is there an update to the visa-free policy for Malaysians?",
        "Do you keep the original documents when I apply for a passport?",
        "What questions are on the Chinese citizenship interview?",
    ],
)
def test_an_ordinary_question_offers_no_hotline_entry(shipped: FaqMatcher, text: str) -> None:
    decision = shipped.decide(text)
    assert decision.faq_id not in _HOTLINE, decision
    assert not set(_HOTLINE) & set(decision.suggestions), decision


@pytest.mark.parametrize(
    ("text", "faq_id"),
    [
        ("Any update on my case?", "hotline-ticket-status"),
        ("Has anyone followed up on my question?", "hotline-ticket-status"),
        ("Do you keep my messages?", "hotline-privacy"),
        ("What questions can I ask here?", "hotline-scope"),
        ("Which questions can you answer?", "hotline-scope"),
    ],
)
def test_a_question_about_the_hotline_still_reaches_it(shipped: FaqMatcher, text: str, faq_id: str) -> None:
    decision = shipped.decide(text)
    assert (decision.faq_id or decision.suggestions[0]) == faq_id, decision
