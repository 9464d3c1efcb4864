"""The dictionary bridge (faq.english_gloss): an English word the vocabulary and the KB do not know reaches the
KB's Chinese units through their CC-CEDICT glosses; vague words reach nothing."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from faq.analysis import Analysis
from faq.english import EnglishLemmatizer
from faq.english_gloss import (
    MAX_FANOUT,
    MAX_SPREAD,
    GlossBridge,
    GlossDictionary,
    _dictionary_lines,
    cached_bridge,
    concept_forms,
    kb_chinese_units,
    load_dictionary,
    parse_line,
    senses,
)
from faq.focus import Focus
from faq.kb import FaqEntry
from faq.matcher import FaqMatcher

LEMMA = EnglishLemmatizer().lemma
LINES = [
    "股東 股东 [gu3 dong1] /shareholder/stockholder/",
    "火化 火化 [huo3 hua4] /to cremate/to incinerate/",
    "錢包 钱包 [qian2 bao1] /purse/wallet/",
    "退款 退款 [tui4 kuan3] /to refund/refund/",
    "遺產 遗产 [yi2 chan3] /heritage/legacy/inheritance/bequest/CL:筆|笔[bi3]/",
    "處理 处理 [chu3 li3] /to handle/to deal with/",
    "薛 薛 [Xue1] /surname Xue/",
]
# "handle" glosses more Chinese words than MAX_SPREAD: too vague to bridge
LINES += [f"處{i} 处{i} [x] /to handle/" for i in range(MAX_SPREAD)]


def dictionary() -> GlossDictionary:
    return GlossDictionary(LINES, name="test")


@pytest.mark.parametrize(
    ("gloss", "expected"),
    [
        ("to defraud", [("defraud",)]),
        ("tuition fee", [("tuition", "fee")]),
        ("developer (of real estate, a commercial product etc)", [("developer",)]),
        ("to take care of sb", [("take", "care", "of")]),
        ("Geneva, Switzerland", [("geneva",), ("switzerland",)]),
        ("CL:個|个[ge4]", []),
        ("variant of 遺產|遗产[yi2 chan3]", []),
        ("surname Xue", []),
        ("abbr. for 中國人民銀行|中国人民银行", []),
        ("(classifier for letters)", []),
        ("to demolish a building and relocate the inhabitants", []),
        ("COVID-19", []),
    ],
)
def test_senses_keep_short_meanings_only(gloss: str, expected: list[tuple[str, ...]]) -> None:
    assert senses(gloss) == expected


def test_parse_line() -> None:
    assert parse_line("學費 学费 [xue2 fei4] /tuition fee/tuition/") == ("学费", ("tuition fee", "tuition"))
    assert parse_line("# CC-CEDICT comment") is None
    assert parse_line("not a line") is None


def test_a_specific_word_reaches_the_kb_unit_that_glosses_it() -> None:
    bridge = GlossBridge.build({"股东": 1, "钱包": 2, "退款": 1}, dictionary(), LEMMA)
    assert bridge.reached(LEMMA("shareholders"), LEMMA) == ("股东",)
    assert bridge.reached(LEMMA("wallet"), LEMMA) == ("钱包",)
    assert bridge.reached(LEMMA("refunded"), LEMMA) == ("退款",)


def test_a_derived_noun_meets_its_verb_and_back() -> None:
    bridge = GlossBridge.build({"火化": 1, "遗产": 1}, dictionary(), LEMMA)
    assert bridge.reached(LEMMA("cremation"), LEMMA) == ("火化",)  # the gloss says "to cremate"
    assert bridge.reached(LEMMA("inherit"), LEMMA) == ("遗产",)  # the gloss says "inheritance"


def test_vague_words_surnames_and_units_the_kb_lacks_reach_nothing() -> None:
    bridge = GlossBridge.build({"处理": 3, "钱包": 1}, dictionary(), LEMMA)
    assert bridge.reached(LEMMA("handle"), LEMMA) == ()  # glosses too many words in the dictionary
    assert bridge.reached("xue", LEMMA) == ()
    assert bridge.reached(LEMMA("shareholder"), LEMMA) == ()  # 股东 is not in this KB


def test_fanout_is_capped_and_specific_units_come_first() -> None:
    many = [f"錢{i} 钱{i} [x] /wallet/" for i in range(MAX_FANOUT + 1)]
    wide = GlossBridge.build({f"钱{i}": 1 for i in range(MAX_FANOUT + 1)}, GlossDictionary(many), LEMMA)
    assert wide.reached("wallet", LEMMA) == ()  # names none of them in particular
    few = GlossBridge.build({"钱0": 5, "钱1": 1}, GlossDictionary(many), LEMMA)
    assert few.reached("wallet", LEMMA) == ("钱1", "钱0")


def test_concepts_bridge_through_their_chinese_forms() -> None:
    forms = concept_forms({"钱包": frozenset({"#wallet"}), "wallet": frozenset({"#wallet"})}, ["#wallet"])
    assert forms == {"#wallet": ("钱包",)}
    bridge = GlossBridge.build({"#wallet": 2}, dictionary(), LEMMA, forms=forms)
    assert bridge.reached("purs", LEMMA) == ("#wallet",)


def test_bridged_replaces_only_unknown_english_lemmas() -> None:
    bridge = GlossBridge.build({"股东": 1, "钱包": 1}, dictionary(), LEMMA)
    known = {"#company", "wallet"}.__contains__
    units = ("#company", "shareholder", "wallet", "股东", "2027")
    # "wallet" is a word the KB itself uses (an English 相似问): it stays; 股东 is not added twice
    assert bridge.bridged(units, known, LEMMA) is None
    assert bridge.bridged(("#company", "shareholder", "wallet"), known, LEMMA) == ("#company", "股东", "wallet")


def test_read_keeps_a_storys_weights_for_the_bridged_units() -> None:
    bridge = GlossBridge.build({"股东": 1}, dictionary(), LEMMA)
    focus = Focus(units={"shareholder": 0.5})
    analysis = Analysis("my shareholder", ("shareholder",), "", frozenset(), focus=focus)
    read = bridge.read(analysis, lambda unit: False, LEMMA)
    assert read.units == ("股东",)
    assert read.focus is not None and read.focus.unit("股东") == 0.5
    untouched = Analysis("hello", ("hello",), "", frozenset())
    assert bridge.read(untouched, lambda unit: False, LEMMA) is untouched


def test_json_round_trip_and_other_rules_refused() -> None:
    bridge = GlossBridge.build({"股东": 1, "钱包": 1}, dictionary(), LEMMA)
    assert GlossBridge.from_json(bridge.to_json()) == bridge
    assert GlossBridge.from_json('{"version": "0", "units": {}}') is None
    assert GlossBridge.from_json("not json") is None


def test_cached_bridge_reads_the_dictionary_once_per_kb(tmp_path: Path) -> None:
    calls: list[int] = []

    def load() -> GlossDictionary:
        calls.append(1)
        return dictionary()

    units = {"股东": 1}
    first = cached_bridge(units, LEMMA, lambda w: False, tmp_path, dictionary=load, name=lambda: "test")
    again = cached_bridge(units, LEMMA, lambda w: False, tmp_path, dictionary=load, name=lambda: "test")
    assert first == again and calls == [1]
    assert list((tmp_path / "gloss").glob("*.json"))
    other = cached_bridge({"钱包": 1}, LEMMA, lambda w: False, tmp_path, dictionary=load, name=lambda: "test")
    assert other.reached("wallet", LEMMA) == ("钱包",) and calls == [1, 1]


def test_a_damaged_cached_bridge_is_built_again_and_replaced(tmp_path: Path) -> None:
    """A cache file cut short (a process killed mid-write on an older version, a full disk) is not trusted: the
    bridge is built from the dictionary again and the file rewritten whole."""
    units = {"股东": 1}
    cached_bridge(units, LEMMA, lambda w: False, tmp_path, dictionary=dictionary, name=lambda: "test")
    (path,) = (tmp_path / "gloss").glob("*.json")
    path.write_text('{"version": "1", "units": {"sharehol', encoding="utf-8")
    rebuilt = cached_bridge(units, LEMMA, lambda w: False, tmp_path, dictionary=dictionary, name=lambda: "test")
    assert rebuilt.reached("shareholder", LEMMA) == ("股东",)
    assert GlossBridge.from_json(path.read_text(encoding="utf-8")) == rebuilt
    assert not list((tmp_path / "gloss").glob("*.tmp"))


def test_kb_chinese_units_count_entries() -> None:
    assert kb_chinese_units([("股东", "#company", "股东", "x"), ("股东", "钱包", "钱")]) == {"股东": 2, "钱包": 1}


def test_the_data_file_may_hold_nothing_but_lines() -> None:
    assert _dictionary_lines(pickle.dumps(["a b [c] /d/"])) == ["a b [c] /d/"]
    with pytest.raises(pickle.UnpicklingError):
        _dictionary_lines(pickle.dumps([Path("x")]))
    with pytest.raises(ValueError):
        _dictionary_lines(pickle.dumps({"a": 1}))


def test_the_shipped_dictionary_is_cc_cedict() -> None:
    shipped = load_dictionary()
    assert len(shipped) > 100_000
    assert "shareholder" in shipped.glosses("股东")


def test_an_english_message_reaches_an_entry_by_its_chinese_words() -> None:
    """The vocabulary has no "shareholder", "cremation" or "wallet": the KB's 股东, 火化 and 钱包 answer."""
    entries = [
        FaqEntry("company", "投资", "外国人在本地注册公司，股东需要准备什么材料？", ("公司股东 材料",), "a"),
        FaqEntry("funeral", "身后事", "亲人在本地去世，遗体火化要办什么手续？", ("火化 手续",), "b"),
        FaqEntry("wallet", "证件", "钱包丢了，里面的银行卡怎么挂失？", ("钱包 银行卡 挂失",), "c"),
        FaqEntry("visa", "出入境", "外国人来华探亲办什么签证？", (), "d"),
    ]
    matcher = FaqMatcher.build(entries)
    for text, expected, unit in [
        ("What does a foreign shareholder need to prepare?", "company", "股东"),
        ("How do we arrange the cremation?", "funeral", "火化"),
        ("I lost my wallet with my bank cards", "wallet", "钱包"),
    ]:
        why = matcher.explain(text)
        assert unit in why.units
        assert why.candidates and why.candidates[0].faq_id == expected
