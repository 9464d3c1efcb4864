"""A story around a question: the clauses that only narrate weigh less than the question (faq.focus)."""

from __future__ import annotations

import pytest

from faq.analysis import Analyzer
from faq.features import FEATURE_NAMES, raw_features
from faq.focus import (
    LATER_QUESTION_WEIGHT,
    NARRATIVE_WEIGHT,
    Focus,
    QuestionCues,
    clause_weights,
    english_asks,
    english_with_referents,
    later_question_weights,
    merge_weights,
    split_clauses,
    split_sentences,
    with_topic_clauses,
)
from faq.matcher import FaqMatcher

BIGRAM = FEATURE_NAMES.index("bigram_cov")


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def test_clauses_are_cut_at_punctuation_and_keep_their_question_mark() -> None:
    assert split_clauses("我在西班牙，护照到期了。能在国内换吗？谢谢") == [
        ("我在西班牙", False),
        ("护照到期了", False),
        ("能在国内换吗", True),
        ("谢谢", False),
    ]
    assert split_clauses("“护照”、签证？？") == [("“护照”、签证", True)]  # 、 lists, quotes are no clause
    assert split_clauses("") == []


@pytest.mark.parametrize(
    ("clause", "asks"),
    [
        ("在这边能换吗", True),
        ("要先去哪个部门申请", True),
        ("换唔换得", True),  # A-not-A, Cantonese negation
        ("能不能在国内办", True),
        ("想回青田投资", True),  # what the user wants is the request
        ("can i renew it here", True),
        ("我在西班牙住了二十年", False),
        ("护照六月到期", False),
        ("i live in canada", False),
        ("scandal", False),  # "can" only as a whole word
    ],
)
def test_question_cues(clause: str, asks: bool) -> None:
    from faq.vocabulary import vocabulary

    assert QuestionCues(vocabulary().question_cues).asks(clause) is asks


def test_weights_only_when_some_clauses_ask_and_others_narrate() -> None:
    assert clause_weights([True]) is None
    assert clause_weights([True, True]) is None
    assert clause_weights([False, False]) is None
    assert clause_weights([False, True]) == [NARRATIVE_WEIGHT, 1.0]


def test_a_question_without_a_topic_takes_the_clause_before_it() -> None:
    # "户口落回去，要去哪个部门申请": the question names only where/apply
    assert with_topic_clauses([False, False, True], [3, 2, 0]) == [False, True, True]
    assert with_topic_clauses([False, True], [3, 2]) == [False, True]
    assert with_topic_clauses([False, True], [3, 1]) == [False, True]  # one topic of its own: asks about that


def test_an_item_weighs_as_its_best_clause_and_kept_items_are_never_weighed_down() -> None:
    merged = merge_weights(
        [(["#abroad", "二十年"], 0.3), (["#passport"], 0.3), (["#passport", "换"], 1.0)], frozenset({"#abroad"})
    )
    assert merged == {"二十年": 0.3}


def test_a_story_is_read_with_focus_and_a_question_without(analyzer: Analyzer) -> None:
    story = analyzer.analyze("我在西班牙住了二十年，这次回青田过年，护照快到期了，在这边能换吗", focus=True)
    assert story.focus is not None
    assert story.focus.unit("二十年") == NARRATIVE_WEIGHT
    assert story.focus.unit("#abroad") == 1.0  # where the user is decides between near twins
    assert story.focus.unit("#passport") == NARRATIVE_WEIGHT
    plain = analyzer.analyze("我在西班牙住了二十年，这次回青田过年，护照快到期了，在这边能换吗")
    assert plain.focus is None and plain.units == story.units  # the units never change
    assert analyzer.analyze("护照快到期了怎么换", focus=True).focus is None
    assert analyzer.analyze("My passport expires soon. Can I renew it in China?", focus=True).focus is None


def test_a_storys_narrating_sounds_weigh_less_in_the_bigram_share(analyzer: Analyzer) -> None:
    # voice-to-text mishears words the lexicon does not know: the pinyin bigrams of the story weigh down too
    story = analyzer.analyze("我在西班牙开了二十年餐馆，生意还行，在国外护照快到期了怎么换发？", focus=True)
    assert story.focus is not None
    told = analyzer.analyze("我在西班牙开了二十年餐馆").pinyin_bigrams
    asked = analyzer.analyze("在国外护照快到期了怎么换发").pinyin_bigrams
    assert {story.focus.bigram(b) for b in told - asked} == {NARRATIVE_WEIGHT}
    assert {story.focus.bigram(b) for b in asked} == {1.0}
    assert Focus().bigram(next(iter(asked))) == 1.0  # a message without a story weighs every sound fully


def test_the_bigram_share_of_a_story_counts_its_question_more(mini_matcher: FaqMatcher) -> None:
    index = mini_matcher.index
    text = "我在西班牙开了二十年餐馆，生意还行，在国外护照快到期了怎么换发？"
    story, plain = index.analyzer.analyze(text, focus=True), index.analyzer.analyze(text)
    item = index.entries[index.by_id["passport-renew-abroad"]]
    assert raw_features(story, item, index)[BIGRAM] > raw_features(plain, item, index)[BIGRAM] > 0.0


@pytest.mark.parametrize(
    ("text", "citizen", "passport"),
    [
        ("我1998年去的纽约，一直是中国护照加绿卡", True, False),  # who the user is
        ("我还是中国户照 人在奥地利", True, False),  # voice: by sound
        ("持中国护照回国", True, False),
        ("我是中国护照，丢了怎么办", True, True),  # ... and what the question is about
        ("拿中国护照去银行开户行不行", False, True),  # what the user acts with
        ("中国护照到期了", False, True),
    ],
)
def test_a_chinese_passport_as_status_is_a_chinese_national(
    analyzer: Analyzer, text: str, citizen: bool, passport: bool
) -> None:
    units = analyzer.analyze(text).units
    assert ("#chinese_citizen" in units) is citizen
    assert ("#passport" in units) is passport


def test_the_story_weighs_less_in_the_score(mini_matcher: FaqMatcher) -> None:
    """The same question, with and without a story before it: the story costs the right entry less
    than it did before the narrating clauses were weighed down."""
    question = "护照快到期了，在国外能换吗"
    story = "我们家在西班牙开餐馆二十多年，生意一般般，孩子也上学了，" + question
    plain = mini_matcher.index.analyzer.analyze(story)
    focused = mini_matcher.index.analyzer.analyze(story, focus=True)
    from faq.features import raw_features

    index = mini_matcher.index
    target = index.entries[index.by_id[mini_matcher.decide(question).faq_id or ""]]
    assert raw_features(focused, target, index)[0] > raw_features(plain, target, index)[0]


@pytest.mark.parametrize(
    ("text", "foreigner"),
    [
        ("我在意大利定居但没入籍", False),  # settled abroad, still a Chinese national
        ("还没入加拿大籍", False),
        ("我不是外国人", False),
        ("我入了美国籍", True),
        ("我是美国籍", True),
    ],
)
def test_naturalisation_that_did_not_happen_is_a_chinese_national(
    analyzer: Analyzer, text: str, foreigner: bool
) -> None:
    units = analyzer.analyze(text).units
    assert ("#foreigner" in units) is foreigner
    assert ("#chinese_citizen" in units) is not foreigner


def test_clauses_after_the_first_question_weigh_less() -> None:
    # "护照丢了，怎么补？另外，能带现金吗？": the message is filed under its first question
    weights = later_question_weights(
        [0.3, 1.0, 0.3, 1.0], [False, True, False, True], [False, True, False, True], [1, 1, 0, 1]
    )
    assert weights == [0.3, 1.0, 0.3, LATER_QUESTION_WEIGHT]
    # a first question without a topic of its own ("请问？") does not make the rest a later question
    assert later_question_weights([1.0, 1.0], [True, True], [True, True], [0, 2]) == [1.0, 1.0]
    assert later_question_weights([0.3, 1.0], [False, True], [False, False], [1, 1]) == [0.3, 1.0]


def test_two_questions_in_turn_are_read_with_focus(analyzer: Analyzer) -> None:
    focused = analyzer.analyze("护照换了新的，银行卡用不了了怎么办？另外能不能带现金出境？", focus=True)
    assert focused.focus is not None
    assert focused.focus.unit("#cash") == LATER_QUESTION_WEIGHT
    assert focused.focus.unit("#bank") == 1.0


def test_sound_matches_do_not_cut_into_a_word_and_a_longer_verb_is_kept(analyzer: Analyzer) -> None:
    assert "#death" not in analyzer.analyze("我在加拿大入籍宣誓完了").units  # 宣誓|完 is not 死亡 (si wan)
    assert "#death" not in analyzer.analyze("昨天被当地警察带走了").units  # 带走|了, taken away
    assert "#death" in analyzer.analyze("我爸走了").units
    assert "#passport" in analyzer.analyze("户照丢了怎么办").units  # voice: single characters still sound


def test_english_is_cut_into_sentences_not_at_commas() -> None:
    text = "I moved to Peru in 1990, and my mother is in Wenzhou. She is 8.5 km from town. Can she apply?"
    assert split_sentences(text) == [
        ("I moved to Peru in 1990, and my mother is in Wenzhou", False),
        ("She is 8.5 km from town", False),
        ("Can she apply", True),
    ]


@pytest.mark.parametrize(
    ("sentence", "asks"),
    [
        ("how do i apply", True),
        ("is there a fee", True),
        ("i like to know the fee", True),  # "I'd like to" after normalisation
        ("we need to send money home", True),
        ("my father lives in fuzhou", False),
        ("the office said no", False),
    ],
)
def test_english_questions_and_wishes_ask(sentence: str, asks: bool) -> None:
    assert english_asks(sentence) is asks


def test_an_english_question_referring_back_takes_the_sentence_before() -> None:
    texts = ["i work in dubai", "my card expired", "can i renew it here"]
    assert english_with_referents([False, False, True], texts) == [False, True, True]
    assert english_with_referents([False, False, True], ["i work in dubai", "x", "can i renew my card"]) == [
        False,
        False,
        True,
    ]


def test_an_english_story_weighs_less_than_its_question(analyzer: Analyzer) -> None:
    story = analyzer.analyze(
        "I have worked in a restaurant in Madrid for ten years. How do I renew my Chinese passport?", focus=True
    )
    assert story.focus is not None
    assert story.focus.unit("#passport") == 1.0 and story.focus.unit("#renew") == 1.0
    assert story.focus.unit("#abroad") == 1.0  # where the user is keeps its weight
    assert story.focus.ngram("restaurant") == NARRATIVE_WEIGHT
