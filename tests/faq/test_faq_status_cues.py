"""Who the user is, stated in passing in English: a foreign passport the user holds (faq.status_cues)."""

from __future__ import annotations

import pytest

from faq.analysis import Analyzer
from faq.status_cues import holds_chinese_passport, holds_foreign_passport


@pytest.mark.parametrize(
    ("tokens", "i", "width", "held"),
    [
        (["i", "hold", "a", "singapore", "passport"], 3, 1, True),
        (["came", "in", "on", "a", "new", "zealand", "passport"], 4, 2, True),
        (["with", "my", "canadian", "passport"], 2, 1, True),
        (["i", "lost", "my", "usa", "passport"], 3, 1, False),  # the passport is what the question is about
        (["i", "hold", "a", "singapore", "visa"], 3, 1, False),
        (["i", "hold", "a", "singapore"], 3, 1, False),
    ],
)
def test_holds_foreign_passport(tokens: list[str], i: int, width: int, held: bool) -> None:
    assert holds_foreign_passport(tokens, i, width) is held


def test_the_analysis_reads_a_held_foreign_passport_as_a_foreign_national() -> None:
    analyzer = Analyzer()
    assert "#foreigner" in analyzer.analyze("I hold a Singapore passport. Do I need a visa?").units
    assert "#foreigner" not in analyzer.analyze("I lost my US passport").units


@pytest.mark.parametrize(
    ("tokens", "i", "width", "held"),
    [
        (["i", "still", "hold", "a", "chinese passport"], 4, 1, True),
        (["our", "daughter", "holds", "a", "chinese", "passport"], 4, 2, True),
        (["my", "bag", "with", "my chinese passport"], 3, 1, False),  # carried, not a status
        (["i", "lost", "my chinese passport"], 2, 1, False),
        (["i", "hold", "a", "passport"], 3, 1, False),
    ],
)
def test_holds_chinese_passport(tokens: list[str], i: int, width: int, held: bool) -> None:
    assert holds_chinese_passport(tokens, i, width) is held


def test_a_held_chinese_passport_reads_as_a_chinese_citizen_and_keeps_the_passport() -> None:
    units = Analyzer().analyze("I still hold a Chinese passport but my hukou was cancelled").units
    assert "#chinese_citizen" in units and "#passport" in units


def test_stole_is_a_loss() -> None:
    assert "#lost" in Analyzer().analyze("Someone stole my bag in Paris").units
