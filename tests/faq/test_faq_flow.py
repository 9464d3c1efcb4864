"""Which side money or an estate comes from (faq.flow) decides between near twins with the same concepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq.analysis import Analyzer
from faq.flow import flow_cues, parse_flow_cues
from faq.vocabulary import VocabularyError
from faq.whereabouts import ABROAD, CHINA


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize(
    ("text", "source"),
    [
        # an estate: where it was left
        ("海外亲属怎样继承国内的遗产？", CHINA),
        ("国内侨眷怎样继承海外亲属的遗产？", ABROAD),
        ("菲律宾的叔公去世了，遗嘱里有我，怎么办", ABROAD),
        ("亲人在泉州去世，我人在国外，怎么继承他在国内的房产存款？", CHINA),  # not where the heir is
        ("海外亲属在国外去世留下遗产，我在泉州，怎么继承？", ABROAD),
        ("My mother passed away in Shantou, how can I inherit her flat while living in Canada?", CHINA),
        ("How can relatives living abroad inherit property left in China?", CHINA),
        ("My uncle in Malaysia died and left something to my mother, who lives in Fuqing.", ABROAD),
        # money: where it is sent from
        ("在国外赚的钱汇回泉州给家里，怎么汇、怎么结汇？", ABROAD),
        ("从泉州往国外汇钱，有什么规定？", CHINA),
        ("国内的钱汇到国外要什么材料", CHINA),
        ("从国外汇钱回国内，有什么额度和手续？", ABROAD),
        ("How much money can I send from Canada to my mother's bank account in China each year?", ABROAD),
        ("How much can I send him for tuition from my Chinese bank account this year?", CHINA),
        ("Can I transfer it out of China legally?", CHINA),
        # nothing moves, or nothing says which way
        ("我在美国，护照丢了怎么办", None),
        ("I am from Lishui and I want to send money to my mother", None),
        ("我在泉州，怎么继承", None),
    ],
)
def test_flow_source(analyzer: Analyzer, text: str, source: str | None) -> None:
    assert analyzer.analyze(text).flow == source


def test_the_shipped_cues_load() -> None:
    cues = flow_cues()
    assert "汇回" in cues.home_words and "from" in cues.from_markers


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- 汇回\n", "must be a mapping"),
        ("flow_verbs: [汇]\n", "from_markers: missing or empty"),
        ("flow_verbs: [Send]\n", "each word is a non-empty lower-case string"),
        ("flows: [汇]\n", "unknown key 'flows'"),
        ("flow_verbs: [汇, yes]\n", "flow_verbs: item 2 is a yes/no value (True), not text: put it in quotes"),
        ("between: [的, 12]\n", "between: item 2 is a number (12), not text: put it in quotes"),
    ],
)
def test_a_malformed_cue_file_names_each_problem(text: str, problem: str) -> None:
    with pytest.raises(VocabularyError) as raised:
        parse_flow_cues(text, Path("flow_cues.yaml"))
    assert any(problem in p for p in raised.value.problems), raised.value.problems


def test_an_entry_takes_the_side_most_of_its_phrasings_give() -> None:
    from faq.index import indexed_entry
    from faq.kb import FaqEntry

    analyzer = Analyzer()
    questions = ["国内的钱怎么汇到国外？", "国内存款怎么转到国外账户", "个人购汇汇出额度是多少", "汇款有什么规定"]
    phrasings = tuple(analyzer.analyze(q) for q in questions)
    entry = FaqEntry("remit-out", "汇款", questions[0], tuple(questions[1:]), "……")
    assert indexed_entry(entry, phrasings, ()).flow == {CHINA}


def _complete(**lists: str) -> str:
    """A cue file with every key, each list as given or one harmless word of its own."""
    own = {
        key: f"[{key}_word]"
        for key in ("flow_verbs", "from_markers", "to_markers", "home_words", "out_words", "source_things", "between")
    }
    return "".join(f"{key}: {lists.get(key, words)}\n" for key, words in own.items())


def test_a_complete_cue_file_parses() -> None:
    cues = parse_flow_cues(_complete(flow_verbs="[汇, 转]", to_markers="[到, 汇到]"), Path("flow_cues.yaml"))
    assert cues.flow_verbs == {"汇", "转"}


@pytest.mark.parametrize(
    ("lists", "problem"),
    [
        ({"flow_verbs": "[汇, 转]", "out_words": "[汇, 汇出]"}, "'汇' is in both out_words and flow_verbs"),
        ({"home_words": "[汇回]", "out_words": "[汇回]"}, "'汇回' is in both home_words and out_words"),
        ({"home_words": "[汇回]", "flow_verbs": "[汇回]"}, "'汇回' is in both home_words and flow_verbs"),
    ],
)
def test_a_word_saying_two_directions_is_refused(lists: dict[str, str], problem: str) -> None:
    with pytest.raises(VocabularyError) as raised:
        parse_flow_cues(_complete(**lists), Path("flow_cues.yaml"))
    assert any(problem in p for p in raised.value.problems), raised.value.problems


def test_the_error_names_the_flow_cue_file() -> None:
    with pytest.raises(VocabularyError) as raised:
        parse_flow_cues("- 汇回\n", Path("flow_cues.yaml"))
    assert "flow_cues.yaml: the flow cue file is invalid" in str(raised.value)
    assert "FAQ vocabulary" not in str(raised.value)
