"""Issue 9, fault 6: every text the bot can send, and every KB answer, converted for a Traditional reader,
must not contain a known wrong conversion (OpenCC alone gives 換髮, 户, 説, and mixes 回復/回覆)."""

from __future__ import annotations

import re
from pathlib import Path

import opencc
import pytest
import yaml

import handlers.texts as texts
from config.settings import CONFIG_DIR
from faq.kb import load_kb
from faq.script import PhraseTableError, load_phrase_table, to_traditional
from handlers.menu import menu_text

# Known wrong conversions in this domain: (pattern, why). A new one found in review belongs here.
KNOWN_WRONG = [
    (r"換髮|補髮|簽髮|頒髮|核髮|髮證|髮放|髮新", "髮 is hair; documents are 發 (issued)"),
    (r"(?<!頭)(?<!理)(?<!白)(?<!假)(?<!毛)髮", "髮 outside 頭髮/理髮/白髮 is a wrong 發"),
    ("户", "户 is the mainland form; Traditional readers write 戶"),
    ("説", "説 is the Hong Kong variant; 說 is standard"),
    (r"彆(?!扭)", "彆 only in 彆扭; 別 otherwise"),
    ("回復|答復|批復", "reply is 回覆/答覆/批覆, one form in every message"),
    ("複議|覆議", "行政复议 is 行政復議"),
    ("恢覆|恢複", "restore is 恢復"),
    ("臺山", "台山 is the county's own name"),
    ("麪", "麪 is a variant; 麵"),
]
# Characters that OpenCC would still change yet are correct Traditional here (批准, 干涉, 馬德里, 台灣, 只有…).
ALSO_TRADITIONAL = set("台准干里只系面后松游冲余折征制表范谷丑凶卷斗借")
_s2tw = opencc.OpenCC("s2tw")


def _shipped_texts() -> list[str]:
    import handlers.outage as outage

    found: list[str] = [menu_text()]
    constants = [v for k, v in vars(outage).items() if k.isupper()] + list(vars(texts).values())
    for value in constants:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            found.extend(v for v in value.values() if isinstance(v, str))
    return found


def _kb_texts() -> list[str]:
    found: list[str] = []
    for entry in load_kb(CONFIG_DIR / "faq.yaml"):
        found.extend([entry.question, entry.answer])
    return found


def _greeting_texts(key: str = "hans") -> list[str]:
    data = yaml.safe_load((CONFIG_DIR / "greetings.yaml").read_text(encoding="utf-8"))
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if name == key and isinstance(value, str):
                    found.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found


def _referral_texts() -> list[str]:
    """What a 转介 tells the user (config/departments.yaml guidance in tickets.routing's wrapper)."""
    from tickets.routing import referral_text

    data = yaml.safe_load((CONFIG_DIR / "departments.yaml").read_text(encoding="utf-8"))
    return [referral_text(str(item["guidance"]), "") for item in data.get("referrals", [])]


def wrong_forms(converted: str) -> list[str]:
    """What a Traditional reader would see as wrong in this text."""
    problems = [f"{match.group(0)}: {why}" for pattern, why in KNOWN_WRONG for match in re.finditer(pattern, converted)]
    problems += [
        f"{char}: left in Simplified"
        for char in converted
        if "\u4e00" <= char <= "\u9fff" and char not in ALSO_TRADITIONAL and str(_s2tw.convert(char)) != char
    ]
    return problems


def test_the_reviewed_traditional_greetings_have_no_known_wrong_form() -> None:
    written = _greeting_texts("hant")
    assert written
    assert {text[:30]: wrong_forms(text) for text in written if wrong_forms(text)} == {}


@pytest.mark.parametrize("source", ["texts", "kb", "greetings", "referrals"])
def test_every_shipped_text_converts_without_a_known_wrong_form(source: str) -> None:
    sources = {"texts": _shipped_texts, "kb": _kb_texts, "greetings": _greeting_texts, "referrals": _referral_texts}
    items = sources[source]()
    assert items, source
    failures = {text[:30]: wrong_forms(to_traditional(text)) for text in items}
    assert {head: found for head, found in failures.items() if found} == {}


def test_the_checker_catches_what_opencc_alone_gets_wrong() -> None:
    """The list is not vacuous: plain OpenCC (s2hk, the old conversion) fails it on the issue's examples."""
    s2hk = opencc.OpenCC("s2hk")
    for text in ("在国外护照快到期了，怎么换发新护照？", "原户籍所在地", "说明", "别着急"):
        assert wrong_forms(str(s2hk.convert(text))), text
        assert not wrong_forms(to_traditional(text)), text


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [
        ("换发新护照", "換發新護照"),
        ("原户籍、户口登记、账户", "原戶籍、戶口登記、賬戶"),
        ("回复序号查看，回复“人工”留言，2个工作日内答复", "回覆序號查看，回覆“人工”留言，2個工作日內答覆"),
        ("恢复中国国籍", "恢復中國國籍"),
        ("申请行政复议", "申請行政復議"),
        ("身份证复印件", "身份證複印件"),
        ("说明情况", "說明情況"),
        ("头发", "頭髮"),
        ("台山市", "台山市"),
    ],
)
def test_domain_phrases(simplified: str, traditional: str) -> None:
    assert to_traditional(simplified) == traditional


def test_a_phrase_table_entry_that_does_not_match_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "phrases.yaml"
    path.write_text("phrases:\n  - {hans: 换发, hant: 換友}\n", encoding="utf-8")
    with pytest.raises(PhraseTableError, match="換友"):
        load_phrase_table(path)
    path.write_text("phrases:\n  - {hans: 换发, hant: 換發}\n  - {hans: 换发, hant: 換發}\n", encoding="utf-8")
    with pytest.raises(PhraseTableError, match="repeats"):
        load_phrase_table(path)
