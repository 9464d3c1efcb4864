"""Who the user is, read from the words around a passport or a nationality: a Chinese national or a foreign one.

Near-twin entries differ by the user's nationality (a Chinese citizen's passport renewed abroad, a foreign
national's visa), and messages state it in passing: "一直是中国护照" (the passport as a status, not the
question), "还没入加拿大籍" (a naturalisation that did not happen), "美国籍" / "Canadian citizen" (a country
followed by a nationality word). faq.analysis applies these rules while reading a message into units.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from faq.pinyin import char_pinyin

# Concept units as faq.analysis writes them (CONCEPT_PREFIX + name).
FOREIGN_NATIONAL = "#foreigner"
CHINESE_CITIZEN = "#chinese_citizen"
_PASSPORT = "#passport"

# A country followed by one of these is a nationality: "美国籍", "Canadian citizen", "加拿大国籍" are a
# foreign national (#foreigner), not a country plus the generic #nationality.
NATIONALITY_WORDS = frozenset(
    {"籍", "国籍", "公民", "citizen", "citizens", "citizenship", "national", "nationals", "nationality"}
)

# "一直是中国护照", "持中国护照", "拿的是中国户照" (voice): who the user is, a Chinese national, not what they ask
# about. Read before segmentation, by sound, so a misheard 护照 is read the same way.
# Not when the passport is what the user acts with: "拿中国护照去银行开户".
_STATUS_PASSPORT = re.compile(r"(?:拿的是|用的是|持有|拿着|拿了|是|持|拿|用|凭)中国(..)(?!去|来|到|办|能|可以|行)")
_PASSPORT_SOUND = ("hu", "zao")  # tone-less, folded (zh -> z) as char_pinyin gives it
_CHINESE_NATIONAL = "中国公民"
_PASSPORT_ACTIONS = frozenset({"#lost", "#expire", "#renew", "#reissue", "#visa_page"})
_EXPIRE = "#expire"

# Before a naturalisation or foreign-national word these say it did not happen ("还没入加拿大籍", "不是外籍").
_NEGATIONS = frozenset(
    {
        "没",
        "没有",
        "没入",
        "一直没",
        "还没",
        "还没有",
        "未",
        "未曾",
        "尚未",
        "不是",
        "并非",
        "从未",
        "从没",
        "从来没",
        "并没有",
        "冇",
        "唔系",
    }
)


# "I hold a Singapore passport", "on a US passport", "still holds a Chinese passport": a passport the user (or
# their child) holds says who they are, a foreign national or a Chinese one; the passport stays a topic too.
_HOLDER_WORDS = frozenset(
    {"hold", "holds", "holding", "held", "carry", "carries", "carrying", "on", "with", "using", "have", "has", "had"}
)
# In a mixed message, the Chinese verbs of holding a Chinese passport: "孩子拿Chinese passport" (as "拿中国护照"
# is read before segmentation). Not for a foreign one: "我拿Dutch passport" is read by the passport rules of its own.
_CHINESE_HOLDERS = frozenset({"拿", "拿着", "拿了", "拿的是", "持", "持有", "是", "有"})
_HOLDER_SKIP = frozenset({"a", "an", "my", "our", "the", "his", "her", "their", "still", "also", "only", "just", "了"})
_PASSPORT_WORDS = frozenset({"passport", "passports", "护照"})
# In Chinese, the verbs of holding a foreign passport: "我拿的是美国护照", "持加拿大护照", "我是新西兰护照"; one
# verb may hold two countries' ("拿新加坡或马来西亚护照").
_OR_ZH = frozenset({"或", "或者", "和", "跟", "及", "还是"})
_FOREIGN_HOLDERS_ZH = frozenset(
    {"拿", "拿着", "拿了", "拿的是", "用的是", "持", "持有", "是", "用", "凭", "有", "只有"}
)


def _held(tokens: Sequence[str], i: int, holders: frozenset[str] = _HOLDER_WORDS) -> bool:
    before = [t for t in tokens[max(0, i - 4) : i] if t not in _HOLDER_SKIP]
    return bool(before) and before[-1] in holders


# "a Chinese passport holder", "US passport holders": the noun says the passport is held as well.
_HOLDER_NOUNS = frozenset({"holder", "holders"})


def _held_as_noun(tokens: Sequence[str], after: int) -> bool:
    return after < len(tokens) and tokens[after] in _HOLDER_NOUNS


def holds_chinese_passport(tokens: Sequence[str], i: int, width: int) -> bool:
    """Whether tokens[i : i + width], read as #passport, is a Chinese passport someone holds ("I still hold a
    Chinese passport", "our daughter holds a Chinese passport", "I'm a Chinese passport holder"): an English
    statement of Chinese nationality."""
    words = [w for t in tokens[i : i + width] for w in t.split() if w not in _HOLDER_SKIP]
    if words[-2:] != ["chinese", "passport"]:
        return False
    # "with my Chinese passport inside", "my bag with my Chinese passport": the passport carried, not a status
    return _held(tokens, i, (_HOLDER_WORDS - {"with"}) | _CHINESE_HOLDERS) or _held_as_noun(tokens, i + width)


def holds_foreign_passport(tokens: Sequence[str], i: int, width: int) -> bool:
    """Whether the country at tokens[i : i + width] is followed by "passport" and held by someone ("I hold
    a Singapore passport", "as a Canadian passport holder", "我拿的是美国护照", "持加拿大护照"): a statement of
    foreign nationality, as the English one is."""
    if i + width >= len(tokens) or tokens[i + width] not in _PASSPORT_WORDS:
        return False
    if tokens[i + width] == "护照":
        j = i
        while j >= 2 and tokens[j - 1] in _OR_ZH:
            j -= 2  # "拿新加坡或马来西亚护照": the verb holds both countries' passports
        before = [t for t in tokens[max(0, j - 3) : j] if t != "的"]
        return bool(before) and before[-1] in _FOREIGN_HOLDERS_ZH
    return _held(tokens, i) or _held_as_noun(tokens, i + width + 1)


# Before a foreign-nationality word, these make it a naturalisation, an act ("申请美国国籍", "入了英籍", "become a
# US citizen"), not a statement of who the user is ("美国籍"); one still ahead leaves the user a Chinese national.
_NATURALISING_VERBS = frozenset(
    {"入", "入了", "加入", "申请", "取得", "获得", "拿", "拿到", "改", "改成", "换成", "转"}
    | {"become", "becoming", "get", "getting", "obtain", "obtaining", "acquire", "acquiring", "take", "taking"}
)
# Naturalisation forms of #foreigner themselves.
_NATURALISATIONS = frozenset(
    {"入籍", "入了外籍", "加入外籍", "改了国籍", "换了国籍", "naturalize", "naturalise", "naturalized", "naturalised"}
)
_NATURALISING_SKIP = frozenset({"了", "的", "a", "an", "the"})


def naturalises(tokens: Sequence[str], i: int) -> bool:
    """Whether tokens[i], read as a foreign nationality, is a naturalisation: a naturalisation word itself ("入籍")
    or a nationality right after a verb of acquiring it ("申请 美国 国籍", "入 了 美国籍", "become a US citizen")."""
    if tokens[i] in _NATURALISATIONS:
        return True
    before = [t for t in tokens[max(0, i - 3) : i] if t not in _NATURALISING_SKIP]
    return bool(before) and before[-1] in _NATURALISING_VERBS


# Right after a foreign nationality, these say descent, not Chinese citizenship: "日籍华人", "美籍华裔".
_DESCENT_WORDS = frozenset({"华人", "华裔"})


def is_descent(tokens: Sequence[str], i: int, matched: frozenset[str], units: Sequence[str]) -> bool:
    """Whether tokens[i], read as a Chinese citizen, only says the descent of the foreign national just named
    ("我是日籍华人": a Japanese national of Chinese descent, as "外籍华人" and "美籍华人" are read whole)."""
    return (
        CHINESE_CITIZEN in matched
        and tokens[i] in _DESCENT_WORDS
        and bool(units)
        and units[-1] == FOREIGN_NATIONAL
    )


CHINESE = "chinese"
FOREIGN = "foreign"


def nationality_of(units: Sequence[str]) -> str | None:
    """CHINESE or FOREIGN: the nationality a text states last (#chinese_citizen or #foreigner), None for none.

    Near twins differ by it (a Chinese child's school place or a foreign child's, a company set up by a
    Chinese citizen or by a foreign investor); a story states it in passing, and as with where the user is
    (faq.whereabouts), the last statement is the one the question is about ("I'm a Chinese citizen, but my
    son holds a US passport: can he …")."""
    for unit in reversed(units):
        if unit == CHINESE_CITIZEN:
            return CHINESE
        if unit == FOREIGN_NATIONAL:
            return FOREIGN
    return None


def status_passport(text: str) -> str:
    """ "是中国护照" -> "是中国公民" wherever the passport is named as the user's status."""

    def swap(match: re.Match[str]) -> str:
        if tuple(char_pinyin(c) for c in match.group(1)) != _PASSPORT_SOUND:
            return match.group(0)
        return match.group(0)[: match.start(1) - match.start(0) - 2] + _CHINESE_NATIONAL

    return _STATUS_PASSPORT.sub(swap, text)


def _negated(tokens: list[str], i: int) -> bool:
    """Whether a negation stands within the two words before tokens[i] (入, 加入, 了 may sit between)."""
    before = [t for t in tokens[max(0, i - 3) : i] if t not in ("的", "了")]
    return any(t in _NEGATIONS for t in before[-2:])


def unless_negated(matched: frozenset[str], tokens: list[str], i: int) -> frozenset[str]:
    """The concepts of tokens[i], with a foreign nationality that is negated ("没入荷兰籍", "还没入籍",
    "不是外国人") read as what the user still is: a Chinese national; and an expiry that is negated or far off
    ("护照还没过期", "还有五年才到期") left out: the document is still valid, so its renewal is not what is asked
    ("入了美国籍，中国护照还没过期，还能用吗" asks whether it may still be used)."""
    if FOREIGN_NATIONAL in matched and _negated(tokens, i):
        return frozenset(matched - {FOREIGN_NATIONAL} | {CHINESE_CITIZEN})
    if _EXPIRE in matched and (_negated(tokens, i) or _far_off(tokens, i)):
        return frozenset(matched - {_EXPIRE})
    return matched


def _far_off(tokens: list[str], i: int) -> bool:
    """ "还有五年才到期", "还有好几年才过期": 才 right before the expiry with 还有 (a time still left) before it."""
    return i > 0 and tokens[i - 1] == "才" and "还有" in tokens[max(0, i - 4) : i - 1]


def asks_about_status_passport(units: Sequence[str]) -> bool:
    """ "我是中国护照，丢了怎么办": the passport read as the user's status is the one the question is about
    after all (lost, expired, renewed …), so the message names #passport as well."""
    return CHINESE_CITIZEN in units and _PASSPORT not in units and bool(_PASSPORT_ACTIONS.intersection(units))
