"""One search for a list of cue words (handlers.any_word) answers exactly what a loop of ``in`` tests would."""

from __future__ import annotations

import random

from handlers.any_word import AnyWord
from handlers.triage import _LATIN_WORD, _domain, comparable
from handlers.triage_cues import triage_cues

TEXTS = [
    "你好",
    "谢谢",
    "请问华侨回国定居需要什么材料？我在美国住了很多年",
    "how do I apply for a visa to China",
    "哈哈哈哈",
    "我想问一下孩子在国内上学怎么办理",
    "台山市侨联的办公电话和地址",
    "我家在台山的老房子被亲戚占了，请律师要多少钱",
    "催一下我的归侨证明 Q20261123-0001",
    "",
]


def test_the_answer_is_any_words_occurrence() -> None:
    rng = random.Random(7)
    alphabet = "ab.*+?()[]|\\^$侨联"
    for _ in range(500):
        words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3))) for _ in range(rng.randint(0, 5))]
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert AnyWord(words)(text) == any(word in text for word in words), (words, text)


def test_no_words_match_nothing_and_an_empty_word_everything() -> None:
    assert not AnyWord([])("任何文字")
    assert AnyWord(["", "侨"])("abc")


def test_the_shipped_cues_answer_as_their_word_lists_do() -> None:
    cues = triage_cues()
    lists = {
        "any_off_topic": cues.off_topic,
        "any_earlier_request": cues.earlier_request,
        "any_contact_ask": cues.contact_asks,
        "any_office": cues.offices,
        "any_not_place": cues.not_places,
        "any_place": cues.places,
        "any_personal": cues.personal,
        "any_fee": cues.fees,
        "any_case_word": cues.case_words,
    }
    samples = [word for words in [*lists.values(), cues.domain] for word in words[:5]]
    for text in map(comparable, TEXTS + samples):
        for name, words in lists.items():
            assert getattr(cues, name)(text) == any(word in text for word in words), (name, text)
        latin = set(_LATIN_WORD.findall(text))
        expected = any((word in latin) if word.isascii() else (word in text) for word in cues.domain)
        assert _domain(text, cues) == expected, text
