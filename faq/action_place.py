"""Whether the action a message asks about happens in a named foreign country.

"我在马来西亚买房，外国人有什么限制" shares every topic word with the KB's entry on buying property in China; what
differs is where the buying happens. faq.whereabouts reads where the user *is* (which decides between near
twins); this reads where the asked-about act takes place, which the federation's KB, set in China, does not
answer:

- a named foreign country or city (not a generic 国外, faq.country_roles) stands right after a place marker
  (在, 人在, in, at …; a city after its country is one place: "在美国加州");
- the next word (after at most one 能 / 可以 / 想 …) is the act: a topic concept, not who or where the user
  is nor a bare how/where (the vocabulary's ``situation_concepts`` and ``generic_concepts``); "在UK的tuition"
  names a thing, not an act; English puts the act before the place ("bought property in Spain");
- nothing in the message is about China (#domestic, #return, #chinese_citizen, or a word with 回 / 返 / 中国 …:
  "在日本打工的钱想汇回家里", "我在加拿大，国内的房子怎么卖", "是中国国籍"); a word that only says the user is a
  Chinese citizen ("a Chinese citizen", 中国公民) is who acts, not where ("Can a Chinese citizen buy a condo in
  Thailand?").

A message that names two different foreign places and nothing of China is read the same way: "美国的文件拿到
加拿大用" moves a document between two foreign countries, which no entry set in China answers.

faq.matcher reads it of messages only, and holds such a message back from an entry whose own wording places it
in China (faq.whereabouts.entry_sides), never from one set abroad ("在德国怎么换护照"). A Chinese document used
abroad ("国内驾照在美国加州能开车吗") is about China by this reading (国内): whether an entry answers it depends on the
document (China's medical insurance used abroad is a KB question, driving abroad is not), which this rule cannot
tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from faq.country_roles import GENERIC_ABROAD
from faq.vocabulary import vocabulary
from faq.whereabouts import ABROAD, CHINA

_ABROAD = "#abroad"
# Before a place: the act happens there ("在马来西亚买房", "in Malaysia").
PLACE_MARKERS = frozenset({"在", "人在", "身在", "于", "喺", "in", "at"})
# Between the place and the act: "在美国加州能开车".
_MODALS = frozenset({"能", "能够", "可以", "可不可以", "能不能", "想", "要", "打算", "准备", "can", "could", "to"})
# Any of these anywhere means the message is about China after all. Hong Kong, Macao and Taiwan are not a
# foreign country's either: a matter between one of them and another place (a Home Return Permit applied for in
# Toronto) is the hotline's.
_CHINA = frozenset({"#domestic", "#return", "#chinese_citizen", "#hk_macau_tw", "#hk_permit", "#tw_permit"})
# Tokens with these move the matter back ("汇回家里", "返乡") or name China inside a longer word ("中国国籍",
# "chinese"); 回 also replies (回复): either way the message is not about a foreign country only.
_BACK = ("回", "返", "中国", "国内", "大陆", "内地", "祖国", "china", "chinese", "mainland")
_FOREIGNER = "#foreigner"
_CITIZEN_ONLY = frozenset({"#chinese_citizen"})


def acts_abroad(tokens: Sequence[tuple[str, frozenset[str], int]], not_topics: frozenset[str]) -> bool:
    """From (token, its concepts, clause number) in reading order: whether a named foreign place after a place
    marker is directly followed by the act asked about (a topic concept: none of `not_topics`, the concepts
    saying who or where the user is or asking how), and nothing in the message is about China."""
    if any(
        not _status_only(concepts) and (concepts & _CHINA or any(c in token for c in _BACK))
        for token, concepts, _ in tokens
    ):
        return False
    if between_foreign_places(tokens):
        return True
    for i, (token, concepts, clause) in enumerate(tokens):
        if _ABROAD not in concepts or token in GENERIC_ABROAD:
            continue
        if not i or tokens[i - 1][0] not in PLACE_MARKERS or tokens[i - 1][2] != clause:
            continue
        j = i + 1
        while j < len(tokens) and _ABROAD in tokens[j][1] and tokens[j][2] == clause:
            j += 1  # "美国 加州": a city in its country is one place
        if j < len(tokens) and tokens[j][2] == clause and _unknown_place(tokens[j][0], tokens[j][1]):
            j += 1  # "越南 芒街", "美国 那边": one word of no concept after the country
        if j < len(tokens) and tokens[j][0] in _MODALS:
            j += 1
        if j < len(tokens) and tokens[j][2] == clause and _is_act(tokens[j][1], not_topics):
            return True
        # English puts the act first: "bought property in Spain"
        if (
            tokens[i - 1][0].isascii()
            and i >= 2
            and tokens[i - 2][2] == clause
            and _is_act(tokens[i - 2][1], not_topics)
        ):
            return True
    return False


@cache
def not_topics() -> frozenset[str]:
    """The concepts that say who or where the user is, or ask how or where (the vocabulary's
    ``situation_concepts`` and ``generic_concepts``): no act, and no topic of a question's own."""
    shipped = vocabulary()
    return frozenset("#" + c for c in (*shipped.situation_concepts, *shipped.generic_concepts))


def set_in_china(entry_sides: frozenset[str]) -> bool:
    """Whether an entry's own wording sets it in China only (faq.whereabouts.entry_sides)."""
    return entry_sides == {CHINA}


def set_abroad(entry_sides: frozenset[str]) -> bool:
    """Whether an entry's own wording sets it abroad only (faq.whereabouts.entry_sides)."""
    return entry_sides == {ABROAD}


def _status_only(concepts: frozenset[str]) -> bool:
    """A Chinese citizen, and nothing else ("a chinese citizen", "中国公民", "中国人"): who the user is, which keeps
    the act where it is ("Can a Chinese citizen buy a condo in Thailand?"); China's nationality itself (中国国籍) is a
    question about China."""
    return concepts == _CITIZEN_ONLY


def _unknown_place(token: str, concepts: frozenset[str]) -> bool:
    """One short Chinese word of no concept right after a named country keeps the act in that country: a town
    the vocabulary does not know but the KB does ("在越南芒街买房"), or a word that points there or says when
    (这边, 那边, 当地, 现在, 已经: "在美国那边买房"). Any such word qualifies, not only a town's name: the act
    after it is still placed in that country."""
    return not concepts and 2 <= len(token) <= 3 and all("\u4e00" <= ch <= "\u9fff" for ch in token)


def _is_act(concepts: frozenset[str], not_topics: frozenset[str]) -> bool:
    return any(c not in not_topics and c != _ABROAD for c in concepts)


def between_foreign_places(tokens: Sequence[tuple[str, frozenset[str], int]]) -> bool:
    """Whether a message names two different foreign places (a city right after its country is one place):
    "美国的文件拿到加拿大用" moves a document between two foreign countries. The caller checks that nothing in the
    message is about China."""
    places: set[tuple[str, ...]] = set()
    run: list[str] = []
    for token, concepts, _ in [*tokens, ("", frozenset(), -1)]:
        foreign = _ABROAD in concepts and _FOREIGNER not in concepts and token not in GENERIC_ABROAD
        if foreign:
            run.append(token)
        elif run:
            places.add(tuple(run))
            run = []
    return len(places) >= 2
