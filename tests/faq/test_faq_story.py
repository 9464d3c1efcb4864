"""The question inside a story read on its own, and whether it points where the whole message does (faq.story)."""

from __future__ import annotations

import pytest

from faq.analysis import Analyzer
from faq.focus import NARRATIVE_WEIGHT, Focus
from faq.matcher import FaqMatcher
from faq.story import question_alone_first


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def test_the_question_text_is_the_clauses_that_weigh_fully() -> None:
    read = Focus(clauses=(("我在国外开了二十年车", NARRATIVE_WEIGHT), ("想回国", 1.0), ("要办什么签证", 1.0)))
    assert read.question_text() == "想回国 要办什么签证"
    assert Focus(clauses=(("想回国", 1.0), ("要办什么签证", 1.0))).question_text() is None  # nothing is story
    assert Focus().question_text() is None


def test_a_story_keeps_how_each_clause_was_read(analyzer: Analyzer) -> None:
    story = analyzer.analyze("我们在意大利生活，孩子今年十岁，护照到期了，怎么申请", focus=True)
    assert story.focus is not None
    assert story.focus.clauses == (
        ("我们在意大利生活", NARRATIVE_WEIGHT),
        ("孩子今年十岁", NARRATIVE_WEIGHT),
        ("护照到期了", 1.0),  # the question names no topic of its own: it leans on the clause before
        ("怎么申请", 1.0),
    )


def test_the_question_alone_keeps_who_and_where_the_user_is_and_drops_the_story(analyzer: Analyzer) -> None:
    story = analyzer.analyze("我在意大利开了二十年餐馆，护照快到期了，这边能换吗", focus=True)
    question = analyzer.question(story)
    assert question is not None
    assert "餐馆" in story.units and "餐馆" not in question.units  # the story's topic words are gone
    assert "#abroad" in question.units  # where the user is still decides between near twins
    assert question.whereabouts == story.whereabouts == "abroad"
    assert question.focus is None
    assert analyzer.question(analyzer.analyze("在国外护照快到期了怎么换发？", focus=True)) is None  # one clause


def test_the_question_alone_can_point_elsewhere_than_the_story(mini_matcher: FaqMatcher) -> None:
    text = "国外驾照换中国驾照已经办好了，驾照的事很顺利，户口要注销吗"
    why = mini_matcher.explain(text)
    assert why.candidates[0].faq_id == "driving-license"  # the story's three mentions of 驾照 win the whole
    assert why.question_alone == "hukou-cancel"
    assert why.clauses[-1] == ("户口要注销吗", 1.0)
    assert "question read alone ranks first: hukou-cancel (not driving-license)" in why.to_text()
    assert why.to_dict()["question_alone"] == "hukou-cancel"
    assert why.to_dict()["clauses"][0] == {"text": "国外驾照换中国驾照已经办好了", "weight": NARRATIVE_WEIGHT}


def test_a_story_and_its_question_agreeing(mini_matcher: FaqMatcher) -> None:
    why = mini_matcher.explain("我在国外开了二十年车，驾照一直是国外驾照，这次回国探亲要办什么签证")
    assert why.question_alone == why.candidates[0].faq_id == "visa-foreign-chinese"
    assert "(agrees)" in why.to_text()
    plain = mini_matcher.explain("在国外护照丢了怎么办")
    assert plain.question_alone is None and plain.clauses == ()


def test_question_alone_first_ranks_among_the_given_candidates(mini_matcher: FaqMatcher) -> None:
    index = mini_matcher.index
    question = index.analyzer.analyze("户口要注销吗")
    positions = [index.by_id["driving-license"], index.by_id["hukou-cancel"]]
    assert question_alone_first(index, question, positions, mini_matcher.calibration) == index.by_id["hukou-cancel"]
    only = [index.by_id["driving-license"]]
    assert question_alone_first(index, question, only, mini_matcher.calibration) == only[0]
    assert question_alone_first(index, question, [], mini_matcher.calibration) is None


def test_the_second_reading_does_not_change_the_decision(mini_matcher: FaqMatcher) -> None:
    text = "国外驾照换中国驾照已经办好了，驾照的事很顺利，户口要注销吗"
    assert mini_matcher.explain(text).decision == mini_matcher.decide(text)
