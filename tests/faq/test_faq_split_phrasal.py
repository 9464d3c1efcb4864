"""English phrasal verbs split by their object ("get my hukou back"): the vocabulary's english_split_forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq.analysis import Analyzer, Lexicon
from faq.english import EnglishForms
from faq.kb import FaqEntry
from faq.matcher import FaqMatcher
from faq.vocabulary import VocabularyError, parse_vocabulary, vocabulary

GOOD = """\
concepts:
  restore: [恢复, restore]
  reply: [回复, get back]
  give_back: [退还, give back]
  return: [回国, back, come back, back home]
stopwords: [my, me, to, and, can, i]
"""


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Is there a way to get my Chinese citizenship back", "#restore"),
        ("we are trying to get our hukou back", "#restore"),  # -ing form, a possessive but "my"
        ("she got it back last year", "#restore"),  # irregular past; "it" alone between
        ("how can I get back my household registration", "#restore"),  # the object after the particle
        ("will they give the deposit back", "#give_back"),
        ("the office handed my papers back", "#give_back"),
        ("how do I transfer the rent money out", "#remit"),
    ],
)
def test_a_split_phrasal_verb_is_read_as_its_concept(analyzer: Analyzer, text: str, concept: str) -> None:
    units = analyzer.analyze(text).units
    assert concept in units
    assert "#return" not in units  # its particle is no word of its own


def test_the_object_between_is_still_read(analyzer: Analyzer) -> None:
    units = analyzer.analyze("how to get my Chinese nationality back").units
    assert {"#restore", "#nationality"} <= set(units)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("could someone get back to me this week", "#reply"),  # the particle next to its verb, no object
        ("still waiting to hear back", "#reply"),
        ("how can I get my elderly mother back to China", "#return"),  # the particle starts a form of its own
        ("I want to get my kids back home", "#return"),
        ("please get me back to China", "#return"),  # a person is no object of "get … back"
        ("get a visa and come back", "#return"),  # "and" ends the object; the particle is "come back"'s
    ],
)
def test_the_particle_keeps_its_own_reading_elsewhere(analyzer: Analyzer, text: str, concept: str) -> None:
    units = analyzer.analyze(text).units
    assert concept in units
    assert "#restore" not in units


def test_more_than_three_words_between_is_no_split_form(analyzer: Analyzer) -> None:
    assert "#restore" not in analyzer.analyze("get my old Chinese passport back").units  # four between
    assert "#restore" in analyzer.analyze("get my old passport back").units


def test_the_split_forms_come_from_the_vocabulary_file() -> None:
    words = parse_vocabulary(
        GOOD + "english_split_forms:\n  restore: [get … back]\n  give_back: [give ... back]\n", Path("v.yaml")
    )
    assert words.english_split_forms == {"restore": (("get", "back"),), "give_back": (("give", "back"),)}
    analyzer = Analyzer(Lexicon(words.concepts, words.stopwords, {"got": "get"}, words.english_split_forms))
    assert "#restore" in analyzer.analyze("i got my passport back").units
    assert "#give_back" in analyzer.analyze("give my passport back").units
    assert "#reply" in analyzer.analyze("get back to me").units
    plain = Analyzer(Lexicon(words.concepts, words.stopwords))
    assert "#restore" not in plain.analyze("get my passport back").units  # no split forms: none read


def test_the_shipped_vocabulary_lists_get_back_as_restore() -> None:
    assert ("get", "back") in vocabulary().english_split_forms["restore"]


@pytest.mark.parametrize(
    ("forms", "expected"),
    [
        ("  restore: get … back\n", "expected a list"),
        ("  restore: [get back]\n", "a verb, … (or ...) and a particle"),
        ("  restore: [Get … back]\n", "lower-case"),
        ("  restore: [get … my back]\n", "a verb, … (or ...) and a particle"),
        ("  restore: [back … back]\n", "the same word"),
        ("  regain: [get … back]\n", "'regain' is not a concept"),
        ("  restore: [get … back]\n  reply: [get ... back]\n", "already listed under 'restore'"),
    ],
)
def test_a_malformed_split_form_is_refused_with_its_key(forms: str, expected: str) -> None:
    with pytest.raises(VocabularyError) as caught:
        parse_vocabulary(GOOD + "english_split_forms:\n" + forms, Path("vocab.yaml"))
    assert any(expected in p and "english_split_forms" in p for p in caught.value.problems), caught.value.problems


def test_split_at_names_the_particle_to_skip() -> None:
    forms = EnglishForms({"back": frozenset({"#return"})}, split_forms={"#restore": [("get", "back")]})
    tokens = ["can", "i", "get", "my", "hukou", "back"]
    assert forms.split_at(tokens, 2) == (frozenset({"#restore"}), 5)
    assert forms.split_at(tokens, 0) is None


def test_a_split_nationality_question_finds_the_restore_entry_not_the_renounce_one() -> None:
    entries = [
        FaqEntry("restore", "国籍", "入了外籍以后还能恢复中国国籍吗？", ("想重新取得中国国籍",), "a", ("恢复国籍",)),
        FaqEntry("renounce", "国籍", "怎么退出中国国籍？", ("放弃中国国籍要办什么手续",), "a", ("退籍",)),
        FaqEntry("return", "回国", "华侨回国要准备什么？", ("回中国探亲需要带什么",), "a", ("回国",)),
    ]
    matcher = FaqMatcher.build(entries)
    decision = matcher.decide("I naturalised in Canada. Can I get my Chinese nationality back?")
    best = decision.faq_id or (decision.suggestions[0] if decision.suggestions else None)
    assert best == "restore", decision
