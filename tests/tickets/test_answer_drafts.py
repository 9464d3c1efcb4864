"""Drafts from FAQ answers: the bot's "reply with a word" sentences go, everything else stays as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faq.kb import load_kb
from tickets.answer_drafts import staff_draft

SHIPPED = load_kb(Path(__file__).resolve().parents[2] / "config" / "faq.yaml")


@pytest.mark.parametrize(
    ("answer", "draft"),
    [
        (
            "先报警，再申请旅行证。\n\n如需进一步帮助，可回复“人工”留言，我们将在2个工作日内答复。",
            "先报警，再申请旅行证。",
        ),
        ("先報警。如需協助，可回復「人工」留言。材料以使館為準。", "先報警。材料以使館為準。"),
        ("1. 带护照\n2. 带照片\n请回复序号查看答案。", "1. 带护照\n2. 带照片"),
        ("回复时请附上护照号码。", "回复时请附上护照号码。"),  # "回复" without a command word is staff's business
    ],
)
def test_bot_instructions_are_dropped(answer: str, draft: str) -> None:
    assert staff_draft(answer) == draft


def test_every_shipped_answer_loses_its_footer_and_keeps_the_rest() -> None:
    with_footer = [e for e in SHIPPED if "回复“人工”" in e.answer]
    assert len(with_footer) > 50
    for entry in with_footer:
        draft = staff_draft(entry.answer)
        assert "回复“人工”" not in draft, entry.id
        kept = "\n".join(line for line in entry.answer.splitlines() if "回复“人工”" not in line)
        assert draft == re.sub(r"\n\s*\n+", "\n\n", kept).strip(), entry.id  # the footer is always a line
