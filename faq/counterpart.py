"""Whether a text asks about another country's own document or system (美国护照, 澳洲的Medicare, 申根签证).

A Chinese federation's KB means China's passport, visa, pension and licence when it says 护照, 签证, 养老金,
驾照. A user who asks how to renew their US passport or convert a Chinese licence into an Italian one shares
every topic word with such an entry and is answered confidently and wrongly. The words (countries, document
kinds, status markers) are general knowledge in ``config/foreign_counterparts.yaml``; the rules here only
say how they are read:

- a document is *qualified* by the country word right before it, with at most one modifier between
  ("美国工作签证", "US spouse visa"); a one-character short form only when attached ("美签");
- the document a message *asks about* is its last qualified or unqualified document mention: in
  "持美国护照在广州探亲，签证停留期快到了" it is the (Chinese) visa, in "我的美国护照到期了，能在这边续吗" the
  US passport;
- a qualified document after a status marker ("我是美国绿卡", "持美国护照") is who the user is, not what
  they ask about, so it is skipped;
- an entry *covers* foreign documents of a kind when one of its phrasings names one ("外国驾照在国内能用吗");
- a message that turns China's document into another country's ("把中国驾照换成意大利驾照") asks for the
  foreign authority's procedure: only an entry whose own phrasings convert that way covers it, not one
  about the opposite conversion ("国外驾照能换成中国驾照吗"); a "local" document China's is turned into
  ("中国驾照…换成当地驾照") is not China's either;
- a foreign-only system's name qualified as China's ("chinese social security") is China's document;
- China's document followed by a named foreign place ("国内驾照在美国加州能开车吗") asks how it serves there: only
  an entry whose own phrasings set China's document of that kind abroad covers it ("出国以后国内医保还能用吗"),
  not one about foreign documents used in China;
- China's document before a trip abroad ("去美国前要换中国驾照吗") is dealt with in China: only an entry about China's
  own document of that kind, not set abroad, covers it;
- China's own document anywhere else ("中国驾照过期了怎么换新", "出国前要把中国驾照换新吗"), with no other country's
  of its kind named beside it, is not answered by an entry whose own phrasings speak of that kind only as another
  country's ("国外驾照能换成中国驾照吗"); an entry silent about the kind is not held back (a nationality, who
  someone is, is never read so).

A message that asks about a foreign document of a kind its best entry does not cover is a near miss.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config.settings import FOREIGN_COUNTERPARTS_PATH
from faq.normalize import normalize_text
from faq.time_clause import EARLIER, LATER, Span, TimeClauses, kind_at, time_clauses

FOREIGN_ONLY = "foreign_only"
# Suffix of an asked kind when the message converts China's document of that kind into another country's.
INTO_FOREIGN = " (converted from China's)"
# Suffix of an asked kind when the message asks to renew another country's document: only its issuer can.
RENEWED = " (renewed, another country's)"
# Suffix of an asked kind when the message asks to obtain another country's document ("能拿德国国籍吗", "考加州驾照"):
# only its issuer grants it.
APPLIED = " (applied for, another country's)"
# Suffix of an asked kind when the message's act happens in a named foreign country and names that kind's authority
# unqualified ("在加拿大离婚，法院怎么算抚养费": the Canadian court).
PLACED = " (where the act happens, another country's)"
# Suffix of an asked kind when the message asks about China's document of that kind in a named foreign place.
USED_ABROAD = " (China's, used abroad)"
# Suffix of an asked kind when the message asks about China's document of that kind before a trip abroad ("去美国前要
# 换中国驾照吗", faq.time_clause): dealt with in China, so only an entry about China's own document of that kind
# answers it, not one about another country's ("国外驾照能换成中国驾照吗").
BEFORE_TRIP = " (China's, before a trip abroad)"
# Suffix of an asked kind when the message asks about China's own document of that kind with no trip and no
# foreign place ("中国驾照过期了怎么换新", "出国前要把中国驾照换新吗") and no other country's of its kind beside it:
# an entry whose own wording speaks of that kind only as another country's ("国外驾照能换成中国驾照吗") does not
# answer it; one about China's does, wherever it sets it ("在国外护照快到期了").
CHINAS_OWN = " (China's own)"
# The asked kinds that are China's document, not another country's (the explanation words them so).
CHINAS_KINDS = (USED_ABROAD, BEFORE_TRIP, CHINAS_OWN)
# Between China's document and the foreign place it is asked of ("国内的驾照可以在马来西亚直接开车吗"): modals
# and adverbs, at most three of them.
_BETWEEN_USE_AND_PLACE = ("能", "能不能", "能否", "可以", "可不可以", "还", "还能", "也", "也能", "直接", "拿", "拿到",
                          "带", "带到", "can", "i", "be", "used", "still", "valid", "is", "it")
# Before a program's Latin short name between a country and its document ("加拿大的CPP养老金"): at most this long.
# One or more (美国B1 B2签证), a space after it allowed (加拿大的 OAS 养老金).
_ACRONYM = re.compile(r"(?:的)?(?:\s*(?<![a-z0-9])[a-z][a-z0-9]{1,5})+\s*$")
# Generic foreign words reach no document across such a name: "外籍Q1签证" is China's Q1 visa for a foreigner.
_GENERIC_FOREIGN = frozenset({"外国", "外籍", "住在国", "居住国", "所在国", "foreign"})
# A place marker that can end a clause, so that a comma (now a space) parts it from the next word ("回国住，加拿大的
# 养老金"); 在, 人在, 于, 从 … always take the place after them, a space or not ("在 加拿大护照丢了").
_CLAUSE_ENDING_MARKERS = ("住", "回", "去", "到")
# Words that set a phrasing abroad without naming a country ("出国以后国内医保还能用吗").
_ABROAD_WORDS = ("出国", "abroad")
# Place forms that stand before the country ("在美国入境海关"); the others follow it ("印尼那边").
_PLACE_PREFIXES = frozenset({"在", "人在", "身在", "去", "到"})
# How far before a document its qualifier and modifier may start ("英国配偶签证", "south african work visa").
_QUALIFIER_WINDOW = 24
# "美国驻广州总领事馆", "中国驻美国大使馆": the country a mission is posted in stands between its own and the document.
_POSTED = re.compile(r"驻[\u4e00-\u9fff]{1,6}$")
# In the four characters (three English words) before an acquisition word, these make it one not done ("没给她办").
_NEGATIONS_ZH = frozenset("没不未别")
_NEGATIONS_EN = frozenset({"not", "never", "didn't", "don't", "didnt", "dont", "won't", "no"})
# How many modifiers may stand between a qualifier and its document ("英国全球人才签证": two).
_MAX_MODIFIERS = 2
# "with a foreign passport", "holding my US passport": the marker stands before the determiner.
_DETERMINER = re.compile(r"(?:\s+(?:a|an|the|my|our|his|her|their))+$")


class CounterpartDataError(ValueError):
    """The counterpart file is malformed; the message says where."""


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: dict[str, list[str]] = Field(min_length=1)
    modifiers: list[str]
    foreign_qualifiers: list[str] = Field(min_length=1)
    ambiguous_qualifiers: list[str]
    short_foreign_qualifiers: list[str]
    chinese_qualifiers: list[str] = Field(min_length=1)
    status_markers: list[str]
    location_markers: list[str]
    foreign_only: list[str]
    conversion_markers: list[str] = []
    local_qualifiers: list[str] = []
    foreign_only_in_chinese: list[str] = []
    placed_kinds: dict[str, list[str]] = {}
    into_china_words: list[str] = []
    citizen_words: list[str] = []
    renewal_markers: list[str] = []
    stay_words: list[str] = []
    authority_kinds: list[str] = []
    acquisition_markers: list[str] = []
    acquisition_after: list[str] = []
    destination_markers: list[str] = []
    destination_kinds: list[str] = []
    trip_abroad_words: list[str] = []
    placed_by_act_kinds: list[str] = []
    held_kinds: list[str] = []
    demand_markers: list[str] = []
    expiry_words: list[str] = []


# After an acquisition phrase: the document is already obtained ("申请下来了", "办好了").
_DONE = ("下来", "到了", "好了", "完了", "成功")


def _clean(words: Iterable[str]) -> list[str]:
    out = {normalize_text(str(w)) for w in words}
    return sorted((w for w in out if w), key=lambda w: (-len(w), w))


def _alternation(words: Sequence[str]) -> str:
    """Longest first; ASCII words only on word boundaries (so "pr" is not found inside "province").

    One boundary check around all ASCII words, not one per word: a lookbehind in front of every
    alternative keeps the regex engine from skipping ahead by first character (10x slower)."""
    chinese = [re.escape(w) for w in words if not w.isascii()]
    ascii_words = [re.escape(w).replace(r"\ ", r"\s+") for w in words if w.isascii()]
    parts = []
    if chinese:
        parts.append("|".join(chinese))
    if ascii_words:
        parts.append(rf"(?<![a-z0-9])(?:{'|'.join(ascii_words)})(?![a-z0-9])")
    return "|".join(parts)


_LATIN = re.compile(r"[a-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


class _Finder:
    """Finds any of `words`; the ASCII ones (on word boundaries) only in text that has Latin letters."""

    def __init__(self, words: Sequence[str]) -> None:
        chinese = [w for w in words if not w.isascii()]
        latin = [w for w in words if w.isascii()]
        self._chinese = re.compile(_alternation(chinese)) if chinese else None
        self._latin = re.compile(_alternation(latin)) if latin else None

    def finditer(self, text: str) -> list[re.Match[str]]:
        found = list(self._chinese.finditer(text)) if self._chinese is not None else []
        if self._latin is not None and _LATIN.search(text):
            found.extend(self._latin.finditer(text))
        return found


@dataclass(frozen=True)
class Mention:
    """One document mention: its kind, and whose it is ("foreign", "chinese", "ambiguous", or "" unqualified)."""

    kind: str
    side: str
    status: bool  # after a status marker: who the user is, not what they ask
    end: int
    start: int = 0  # where the document word starts
    applied: bool = False  # another country's, after a word that asks to obtain it ("申请英国国籍")
    obtained: bool = False  # ... in a clause dated before the asked act ("申请美国国籍后…"): held, not asked


class CounterpartReader:
    """Compiled patterns of one counterpart file; thread-safe (immutable after construction)."""

    def __init__(self, data: _File, clauses: TimeClauses | None = None) -> None:
        """`clauses`: the time-clause words (faq.time_clause; the shipped file by default)."""
        self._clauses = clauses if clauses is not None else time_clauses()
        kinds = {kind: _clean(words) for kind, words in data.documents.items()}
        empty = [kind for kind, words in kinds.items() if not words]
        if empty:
            raise CounterpartDataError(f"document kinds without words: {', '.join(empty)}")
        self.kinds = tuple(sorted(kinds))
        self._kind_of = {word: kind for kind, words in kinds.items() for word in words}
        self._document = _Finder(_clean(self._kind_of))
        # Qualifiers by side, looked up as suffixes of the text before each document (a regex over all of
        # them at every position cost ~0.1 ms a phrasing, seconds for a 10,000-entry KB).
        self._sides: dict[str, str] = {}
        for side, words in (
            ("chinese", data.chinese_qualifiers),
            ("ambiguous", data.ambiguous_qualifiers),
            ("foreign", data.foreign_qualifiers),
            ("local", data.local_qualifiers),
        ):
            self._sides.update({w: side for w in _clean(words)})
        self._short = frozenset(_clean(data.short_foreign_qualifiers))
        self._lengths = sorted({len(w) for w in self._sides}, reverse=True)
        self._modifiers = _clean(data.modifiers)
        self._status = tuple(_clean(data.status_markers))
        self._location = tuple(_clean(data.location_markers))
        self._foreign_only = _Finder(_clean(data.foreign_only))
        self._foreign_in_chinese = _Finder(_clean(data.foreign_only_in_chinese))
        self._conversion = _Finder(_clean(data.conversion_markers)) if data.conversion_markers else None
        self._renewal = _Finder(_clean(data.renewal_markers)) if data.renewal_markers else None
        self._stay = _Finder(_clean(data.stay_words)) if data.stay_words else None
        self._expiry = _Finder(_clean(data.expiry_words)) if data.expiry_words else None
        unknown_authorities = sorted(set(data.authority_kinds) - set(kinds))
        if unknown_authorities:
            raise CounterpartDataError(f"authority_kinds not among the documents: {', '.join(unknown_authorities)}")
        self._authorities = frozenset(data.authority_kinds)
        unknown_held = sorted(set(data.held_kinds) - set(kinds))
        if unknown_held:
            raise CounterpartDataError(f"held_kinds not among the documents: {', '.join(unknown_held)}")
        self._held = frozenset(data.held_kinds)
        self._acquisition = tuple(_clean(data.acquisition_markers))
        self._acquisition_after = tuple(_clean(data.acquisition_after))
        # words that obtain (or ask to obtain) a document, longest first: their 到 is no place ("拿到美国护照")
        self._obtaining = tuple(_clean([*data.acquisition_markers, *data.status_markers]))
        unknown_destined = sorted(set(data.destination_kinds) - set(kinds))
        if unknown_destined:
            raise CounterpartDataError(f"destination_kinds not among the documents: {', '.join(unknown_destined)}")
        self._destination_kinds = frozenset(data.destination_kinds)
        countries = [w for w, side in self._sides.items() if side == "foreign" and w not in _GENERIC_FOREIGN]
        self._destination = (
            re.compile(
                rf"(?:{_alternation(_clean(data.destination_markers))})\s*(?:the\s+)?(?:{_alternation(_clean(countries))})"
            )
            if data.destination_markers
            else None
        )
        self._into_china = _Finder(_clean(data.into_china_words))
        self._trip_words = _Finder(_clean(data.trip_abroad_words)) if data.trip_abroad_words else None
        unknown_placed = sorted(set(data.placed_by_act_kinds) - set(kinds))
        if unknown_placed:
            raise CounterpartDataError(f"placed_by_act_kinds not among the documents: {', '.join(unknown_placed)}")
        self._placed_by_act = frozenset(data.placed_by_act_kinds)
        places_here = _alternation(_clean([*(w for w in self._sides if self._sides[w] in ("foreign", "ambiguous"))]))
        self._somewhere_abroad = re.compile(rf"(?:在|人在|身在|in)\s*(?:{places_here})")
        demands = _alternation(_clean(data.demand_markers)) if data.demand_markers else ""
        # right after a document or authority: it is the one asking something of the user ("新加坡移民局要求我…")
        self._demand = re.compile(rf"\s*(?:那边|那里|方面)?\s*(?:{demands})") if demands else None
        # right after China's document: a place marker and a named foreign place ("国内驾照在美国…")
        foreign = [w for w, side in self._sides.items() if side == "foreign"]
        markers = _alternation(_clean(["在", "人在", "到", "去", "in", "at"]))
        between = _alternation(_clean(_BETWEEN_USE_AND_PLACE))
        self._placed_abroad = re.compile(
            rf"\s*(?:(?:{between})\s*){{0,3}}(?:{markers})\s*(?:the\s+)?(?:{_alternation(foreign)})"
        )
        # a country's own rules where the message places the act ("印尼那边要交什么税", "在美国入境海关…")
        unknown = sorted(set(data.placed_kinds) - set(kinds))
        if unknown:
            raise CounterpartDataError(f"placed_kinds not among the documents: {', '.join(unknown)}")
        places = _alternation(_clean(foreign))
        # per kind: the markers right before a country that stands right before the document ("在美国入境海关"),
        # and a pattern for a country said as "over there" anywhere in the document's clause ("印尼那边…税")
        self._placed_before: dict[str, tuple[str, ...]] = {}
        self._placed_there: dict[str, re.Pattern[str]] = {}
        for kind, forms in data.placed_kinds.items():
            before = tuple(f for f in _clean(forms) if f in _PLACE_PREFIXES)
            after = [f for f in _clean(forms) if f not in _PLACE_PREFIXES]
            if before:
                self._placed_before[kind] = before
            if after:
                self._placed_there[kind] = re.compile(rf"(?:{places})\s*(?:{_alternation(after)})")
        self._china_word = _Finder(_clean([*data.chinese_qualifiers, *data.into_china_words]))
        self._citizen = _Finder(_clean(data.citizen_words))
        abroad = [w for w, side in self._sides.items() if side in ("foreign", "ambiguous")]
        self._abroad = _Finder(_clean([*abroad, *_ABROAD_WORDS]))

    def _kind(self, word: str) -> str:
        return self._kind_of.get(" ".join(word.split()), "")

    @classmethod
    def _after(cls, markers: tuple[str, ...], text: str, start: int) -> bool:
        return bool(cls._ending(markers, text, start))

    @staticmethod
    def _ending(markers: tuple[str, ...], text: str, start: int) -> str:
        """The marker (the longest: `markers` are longest first) right before `start`, or ""."""
        spaced = text[max(0, start - 12) : start]
        before = spaced.rstrip()
        parted = len(before) != len(spaced) and not before[-1:].isascii() and not text[start : start + 1].isascii()
        if parted and before.endswith(_CLAUSE_ENDING_MARKERS):
            return ""  # "回国住，加拿大的…": a comma (now a space) parts a marker that can end a clause
        if before[-1:].isascii():
            before = _DETERMINER.sub("", before)
        return next((m for m in markers if before.endswith(m)), "")

    def mentions(self, normalized: str) -> list[Mention]:
        """Every document mention of normalised text, in order (documents first: most texts name none)."""
        out: list[Mention] = []
        # "续签", "延签": a renewal word, not another visa ("英国签证续签" asks to renew the UK visa)
        verbs = [(m.start(), m.end()) for m in self._renewal.finditer(normalized)] if self._renewal else []
        spans: tuple[Span, ...] | None = None  # read only for a message that names a document
        for match in self._document.finditer(normalized):
            inside = any(a <= match.start() and match.end() <= b and b - a > len(match.group(0)) for a, b in verbs)
            if not inside:
                if spans is None:
                    spans = self._clauses.spans(normalized)
                out.append(self._mention(normalized, match, spans))
        chinese = [(m.start, m.end) for m in out if m.side == "chinese"]
        only = self._foreign_only.finditer(normalized)
        if _CJK.search(normalized):  # "能领social security吗": a Chinese writer says 社保 for China's
            only += self._foreign_in_chinese.finditer(normalized)
        only = [m for m in only if not any(start < m.end() and m.start() < end for start, end in chinese)]
        # "chinese social security" (above) is China's pension, whatever the bare name would mean; a document
        # right after a foreign-only name is that system's ("social security退休金")
        ends = {m.end() for m in only}
        out = [
            replace(m, side="foreign") if not m.side and len(normalized[: m.start].rstrip()) in ends else m for m in out
        ]
        out.extend(Mention(FOREIGN_ONLY, "foreign", False, m.end(), m.start()) for m in only)
        out.sort(key=lambda m: m.end)
        if self._demand is not None:
            # "新加坡移民局要求我提交放弃中国国籍的证明": who asks the user for something, not what the user asks about
            out = [replace(m, status=True) if self._demand.match(normalized, m.end) else m for m in out]
        return out

    def _into_foreign(self, text: str, mentions: Sequence[Mention], last: Mention) -> bool:
        """Whether a Chinese document of `last`'s kind comes before it, and a conversion word before it too
        ("中国驾照换成德国驾照", "convert my chinese licence to a german licence")."""
        if self._conversion is None:
            return False
        return any(
            m.kind == last.kind
            and m.side == "chinese"
            and m.end <= last.start
            and self._conversion.finditer(text[: last.start])
            for m in mentions
        )

    def _qualifier_before(self, text: str, end: int, latin_document: bool) -> tuple[str, int] | None:
        """(side, start) of the qualifier whose word (and optional modifier) ends at `end`; a program's Latin
        short name attached to a Chinese document stands between them too ("加拿大的CPP养老金")."""
        if not latin_document and (posted := _POSTED.search(text, max(0, end - 8), end)) is not None:
            # "美国驻广州总领事馆", "中国驻美国大使馆": the country before 驻 is the mission's
            return self._qualifier_ending(text, posted.start(), latin_document, gaps=("",))
        found = self._qualifier_ending(text, end, latin_document)
        if found is None and not latin_document and (acronym := _ACRONYM.search(text, 0, end)) is not None:
            # right after a named country (and 的): "外籍配偶Q1签证" is China's Q1 visa for a foreign spouse
            found = self._qualifier_ending(text, acronym.start(), latin_document, gaps=("",))
            if found is not None and text[found[1] : acronym.start()].strip() in _GENERIC_FOREIGN:
                found = None
        return found

    def _qualifier_ending(
        self, text: str, end: int, latin_document: bool, gaps: Sequence[str] | None = None
    ) -> tuple[str, int] | None:
        head = text[max(0, end - _QUALIFIER_WINDOW) : end]
        offset = end - len(head)
        trimmed = head.rstrip()
        for gap, stem in self._stems(trimmed, gaps):
            spaced = len(trimmed) != len(head) or len(stem) != len(stem.rstrip())
            stem = stem.rstrip()
            if not gap and len(stem) == len(head) and stem[-1:] in self._short:
                return "foreign", offset + len(stem) - 1  # "美签": only attached
            for length in self._lengths:
                word = stem[-length:]
                side = self._sides.get(word) if len(word) == length else None
                if side is None:
                    continue
                start = len(stem) - length
                if word.isascii() and start and stem[start - 1].isalnum() and stem[start - 1].isascii():
                    continue  # "thus passport" is not "us passport"
                if spaced and not (word.isascii() and latin_document):
                    continue  # "我在加拿大，护照…": a comma (now a space) parts Chinese words
                return side, offset + start
        return None

    def _stems(self, trimmed: str, gaps: Sequence[str] | None) -> list[tuple[str, str]]:
        """(the modifiers removed, what is left before them): none, then one, then two ("全球" + "人才")."""
        if gaps is not None:
            return [(gap, trimmed[: -len(gap)] if gap else trimmed) for gap in gaps if trimmed.endswith(gap)]
        out = [("", trimmed)]
        level = [("", trimmed)]
        for _ in range(_MAX_MODIFIERS):
            # a space before a Chinese modifier parts it from the qualifier (a comma), before an English one not
            level = [
                (gap + removed, base[: -len(gap)])
                for removed, stem in level
                for gap in self._modifiers
                if (base := stem.rstrip() if gap.isascii() else stem).endswith(gap)
            ]
            out.extend(level)
        return out

    def _mention(self, text: str, document: re.Match[str], spans: Sequence[Span] = ()) -> Mention:
        kind = self._kind(document.group(0))
        found = self._qualifier_before(text, document.start(), document.group(0).isascii())
        if found is None:
            side = "foreign" if self._placed_over_there(kind, text, document.start()) else ""
            return Mention(kind, side, False, document.end(), document.start())
        side, start = found
        place = self._ending(self._location, text, start)
        if place and len(self._ending(self._obtaining, text, start)) > len(place):
            place = ""  # "拿到美国护照": obtained (拿到), not a place (到)
        if place:
            # a place: "在美国护照丢了" is the Chinese passport; but "在美国入境海关" is US customs
            placed = self._placed_before.get(kind)
            foreign = side == "foreign" and placed is not None and self._after(placed, text, start)
            side = "foreign" if foreign and not self._china_word.finditer(text[document.end() :]) else ""
            return Mention(kind, side, False, document.end(), document.start())
        applied = side == "foreign" and (self._applied(text, start) or self._applied_after(text, document.end()))
        # obtained in a clause dated before the asked act ("申请美国国籍后…", "once I get a US green card…"): done or
        # assumed, so who the user is (or will be), not what they ask for; nor is one obtained in a clause dated
        # after it ("申请美国国籍前要注销户口吗": the question is what comes first)
        dated = kind_at(spans, start) if applied else None
        obtained = dated == EARLIER
        applied = applied and dated is None
        # a held kind (a nationality) is who someone is, unless the message asks to obtain it ("能拿德国国籍吗")
        held = kind in self._held and side != "chinese"  # "退出中国国籍" asks about China's
        status = not applied and (dated is not None or held or self._after(self._status, text, start))
        return Mention(kind, side, status, document.end(), document.start(), applied, obtained)

    def _applied(self, text: str, start: int) -> bool:
        """Whether an acquisition word stands right before the qualifier at `start`, not negated ("能拿德国国籍吗";
        not "没给她办大马国籍")."""
        if not self._acquisition or not self._after(self._acquisition, text, start):
            return False
        before = text[max(0, start - 32) : start].rstrip()
        if before[-1:].isascii():
            before = _DETERMINER.sub("", before)
        marker = next(m for m in self._acquisition if before.endswith(m))  # longest first
        ahead = before[: -len(marker)].rstrip()
        if marker.isascii():
            return not _NEGATIONS_EN.intersection(ahead.split()[-3:])
        return not any(c in _NEGATIONS_ZH for c in ahead[-4:])

    def _applied_after(self, text: str, end: int) -> bool:
        """Whether an acquisition phrase follows the document ending at `end` ("美国绿卡怎么申请"), and nothing after
        it says the document is already obtained ("申请下来了")."""
        after = text[end:].lstrip()
        marker = next((m for m in self._acquisition_after if after.startswith(m)), None)
        return marker is not None and not after[len(marker) :].lstrip().startswith(_DONE)

    def _placed_over_there(self, kind: str, text: str, start: int) -> bool:
        """Whether the clause before an unqualified document says a named foreign country "over there" (印尼那边)
        and nothing after that names China or a way into it: a tax there is that country's ("印尼那边要交什么税";
        not "美国那边已经交过税了，国内还要交吗", nor "美国那边寄过来的东西要交税吗")."""
        placed = self._placed_there.get(kind)
        if placed is None:
            return False
        clause_start = text.rfind(" ", 0, start) + 1 if _CJK.search(text[max(0, start - 1) : start]) else 0
        places = list(placed.finditer(text, clause_start, start))
        return bool(places) and not self._china_word.finditer(text[places[-1].end() :])

    def asked_in(self, normalized: str, acts_abroad: bool = False) -> str | None:
        """Like asked_foreign_kind, for text already through faq.normalize.normalize_text; `acts_abroad`: the act
        asked about happens in a named foreign country and nothing is about China (faq.action_place)."""
        every = self.mentions(normalized)
        if acts_abroad:
            # "在加拿大离婚，法院怎么算抚养费": the court (or tax) of the act's place, not China's
            named = [m for m in every if not m.status]
            if named and not named[-1].side and named[-1].kind in self._placed_by_act:
                return named[-1].kind + PLACED
        trip = self._trip_abroad(normalized)
        # a trip still ahead (in a before-clause: "去美国前…", "before I fly to…"; or only planned: "我要回加拿大")
        # when the message renews a document or lets one expire: that document is the one held where the user is
        # now ("我要回加拿大，中国签证到期了怎么延期" extends China's visa in China), not one for the trip
        before = trip is not None and kind_at(self._clauses.spans(normalized), trip.start()) == LATER
        kept = (before or (trip is not None and self._clauses.planned(normalized, trip.start()))) and self.kept_up(
            normalized
        )
        if trip is not None and not kept and not self._china_word.finditer(self._without_citizens(normalized)):
            # "去日本要签证吗", "回美国入境…": a visa or entry after a trip to a foreign country is that country's
            every = [
                replace(m, side="foreign") if not m.side and m.kind in self._destination_kinds else m
                for m in every
            ]
        # an authority nobody's in particular is where something is done, not what is asked ("在香港入境处换身份证")
        asked = [m for m in every if not m.status and (m.side or m.kind not in self._authorities)]
        placed = bool(asked) and self._placed_abroad.match(normalized, asked[-1].end) is not None
        # China's document before a trip ("去美国前要办中国护照吗") is dealt with in China, before it
        tripped = trip is not None and not before and not kept
        if asked and asked[-1].side == "chinese" and (placed or tripped):
            return asked[-1].kind + USED_ABROAD  # "国内驾照在美国…", "去新西兰自驾，中国驾照要办什么翻译件"
        if asked and asked[-1].side == "chinese" and trip is not None:
            return asked[-1].kind + BEFORE_TRIP
        if not asked or asked[-1].side not in ("foreign", "local"):
            return None
        last = asked[-1]
        if self._into_foreign(normalized, every, last):  # "我有中国驾照，在新西兰能换当地驾照吗": held, then turned
            return last.kind + INTO_FOREIGN
        if last.applied:
            return last.kind + APPLIED
        if last.side == "foreign" and last.kind != FOREIGN_ONLY and self._renewed(normalized, last):
            return last.kind + RENEWED
        return last.kind if last.side == "foreign" else None  # "当地驾照" alone may well be China's

    def chinas_own_in(self, normalized: str) -> str | None:
        """The kind of China's own document normalised text asks about, as kind + CHINAS_OWN, or None: "中国驾照过期了
        怎么换新", "出国前要把中国驾照换新吗". Read only when asked_in finds no kind (China's document used abroad or
        before a trip is one of those)."""
        every = self.mentions(normalized)
        asked = [m for m in every if not m.status and (m.side or m.kind not in self._authorities)]
        if asked and asked[-1].side == "chinese" and self._chinas_own(normalized, every, asked[-1]):
            return asked[-1].kind + CHINAS_OWN  # not "美国驾照怎么换中国驾照"
        return None

    def _chinas_own(self, text: str, mentions: Sequence[Mention], last: Mention) -> bool:
        """Whether China's document `last` is what the message asks about as China's own: not a nationality (who
        someone is: "孩子中国国籍，想回国读书"), no other country's of its kind named too, even as who the user is
        ("我有美国驾照，能换中国驾照吗"), and no conversion word before it ("convert 成中国驾照": the result of
        converting another one; the entry about foreign licences answers both)."""
        if last.kind in self._held:
            return False
        if any(m.kind == last.kind and m.side in ("foreign", "ambiguous", "local") for m in mentions):
            return False
        return not (self._conversion is not None and self._conversion.finditer(text[: last.start]))

    def _without_citizens(self, text: str) -> str:
        """The text without the words that only say the traveller is a Chinese citizen ("中国人去泰国旅游要办什么
        签证"): who travels, not something of China's the message is about."""
        for found in reversed(self._citizen.finditer(text)):
            text = text[: found.start()] + " " + text[found.end() :]
        return text

    def _trip_abroad(self, text: str) -> re.Match[str] | None:
        """The first trip to a named foreign country ("去新西兰", "回美国", "to Japan"), when nothing in the message
        goes back into China (回国, 带回来 …); None when there is none."""
        trip = self._first_trip(text)
        if trip is None or self._into_china.finditer(text):
            return None
        return trip

    def _first_trip(self, text: str) -> re.Match[str] | None:
        """The first trip marker and named foreign country, not the 到 of an acquisition ("拿到美国护照")."""
        if self._destination is None:
            return None
        for trip in self._destination.finditer(text):
            end = trip.start() + 1  # just after the marker's first character
            if not any(1 < len(a) <= end and text.startswith(a, end - len(a)) for a in self._obtaining):
                return trip
        return None

    def kept_up(self, text: str) -> bool:
        """Whether the message renews a document or says one expires ("到期了怎么延期", "passport expires")."""
        return bool(
            (self._renewal is not None and self._renewal.finditer(text))
            or (self._expiry is not None and self._expiry.finditer(text))
        )

    def _renewed(self, text: str, mention: Mention) -> bool:
        """Whether the text asks to renew the document after `mention` ("美国驾照过期了…能在网上续吗"), with no
        conversion in between: a renewal is the issuing country's, a conversion may be China's."""
        if self._renewal is None:
            return False
        after = text[mention.start :]
        if self._stay is not None and self._stay.finditer(after):
            return False  # "外国护照 停留期 延期": the stay in China is extended, not the passport
        return bool(self._renewal.finditer(after)) and not (self._conversion and self._conversion.finditer(after))

    def asked_foreign_kind(self, text: str) -> str | None:
        """The kind of foreign document the message asks about, or None (China's, or none named)."""
        return self.asked_in(normalize_text(text))

    def covered_kinds(self, phrasings: Iterable[str], *, normalized: bool = False) -> frozenset[str]:
        """Kinds of foreign document an entry's phrasings speak of."""
        return self.coverage(phrasings, normalized=normalized)[0]

    def coverage(self, phrasings: Iterable[str], *, normalized: bool = False) -> tuple[frozenset[str], frozenset[str]]:
        """(covered_kinds, the kinds + CHINAS_OWN of China's own documents the phrasings speak of), in one reading.

        A phrasing speaks of China's own document of a kind when it names China's (or an unqualified one, China's
        in the KB), not as who someone is, and no other country's of that kind that it asks about: set abroad or
        not ("在国外护照快到期了"), and another country's held beside it leaves China's the topic ("拿了外国护照还能
        保留中国护照吗"); "国外驾照能换成中国驾照吗" is about the foreign licence."""
        kinds: set[str] = set()
        own: set[str] = set()
        for phrasing in phrasings:
            text = phrasing if normalized else normalize_text(phrasing)
            found = self.mentions(text)
            kinds.update(m.kind for m in found if m.side in ("foreign", "ambiguous"))
            turned = [m for m in found if m.side in ("foreign", "local") and self._into_foreign(text, found, m)]
            kinds.update(m.kind + INTO_FOREIGN for m in turned)
            theirs_renewed = [m for m in found if m.side in ("foreign", "ambiguous") and self._renewed(text, m)]
            kinds.update(m.kind + RENEWED for m in theirs_renewed)
            kinds.update(m.kind + APPLIED for m in found if m.applied)
            sent = self._first_trip(text) or (self._trip_words is not None and self._trip_words.finditer(text))
            if self._somewhere_abroad.search(text) and not self._china_word.finditer(text):
                # "在意大利被老板欠薪，能去法院告吗": an entry set at a foreign authority's door
                kinds.update(m.kind + PLACED for m in found if not m.side and m.kind in self._placed_by_act)
            if sent:  # "想出国探望在国外的子女，护照和签证怎么办": the destination's visa
                kinds.update(m.kind for m in found if not m.side and m.kind in self._destination_kinds)
            set_abroad = bool(self._abroad.finditer(text))
            if set_abroad:  # "出国以后国内医保还能用吗": China's document (of a kind no other
                # country's is named beside: "国外驾照能换成中国驾照吗" is about the foreign one), set abroad
                theirs = {m.kind for m in found if m.side in ("foreign", "ambiguous")}
                kinds.update(m.kind + USED_ABROAD for m in found if m.side in ("chinese", "") and m.kind not in theirs)
            # China's own document (or an unqualified one, China's in the KB), not set abroad and no other country's of
            # its kind beside it: "华侨回国探亲时护照到期了能在国内换吗" answers for China's passport before a trip,
            # "国外驾照能换成中国驾照吗" not for China's licence, "在国外护照快到期了" not for one dealt with in China
            theirs_here = {m.kind for m in found if m.side in ("foreign", "ambiguous", "local")}
            china_own = {m.kind for m in found if m.side in ("chinese", "") and not m.status}
            if not set_abroad:
                kinds.update(kind + BEFORE_TRIP for kind in china_own - theirs_here)
            theirs_asked = {m.kind for m in found if m.side in ("foreign", "ambiguous", "local") and not m.status}
            own.update(kind + CHINAS_OWN for kind in china_own - theirs_asked)
        return frozenset(kinds), frozenset(own)


def load_counterparts(path: Path) -> CounterpartReader:
    try:
        parsed = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        return CounterpartReader(parsed)
    except (ValidationError, yaml.YAMLError, re.error, CounterpartDataError) as exc:
        raise CounterpartDataError(f"{path}: {exc}") from exc


@cache
def counterparts() -> CounterpartReader:
    """The shipped file, read and checked once per process."""
    return load_counterparts(FOREIGN_COUNTERPARTS_PATH)


class CounterpartGuard:
    """For one KB: which foreign document kinds each entry covers, so a near miss is not answered."""

    def __init__(self, reader: CounterpartReader, normalized_phrasings: Sequence[Sequence[str]]) -> None:
        """`normalized_phrasings`: each entry's phrasings through normalize_text (the KB index has them)."""
        self._reader = reader
        coverage = [reader.coverage(group, normalized=True) for group in normalized_phrasings]
        self._covered = [kinds for kinds, _ in coverage]
        self._own = [own for _, own in coverage]

    def asked(self, normalized: str, acts_abroad: bool = False) -> str | None:
        """The foreign document kind a normalised message asks about (CounterpartReader.asked_in), else the kind of
        China's own document it asks about (CounterpartReader.chinas_own_in)."""
        return self._reader.asked_in(normalized, acts_abroad) or self._reader.chinas_own_in(normalized)

    def kept_up(self, normalized: str) -> bool:
        """Whether a normalised message renews a document or says one expires (CounterpartReader.kept_up)."""
        return self._reader.kept_up(normalized)

    def conflicts(self, asked: str | None, position: int) -> bool:
        """The message asks about a foreign document of a kind the entry at `position` never speaks of; or about
        China's own (CHINAS_OWN) when the entry speaks of that kind only as another country's. An entry silent
        about the kind does not conflict with China's own: "孩子中国国籍，回国能插班吗" names who the child is, and
        the school entry never says 国籍."""
        if asked is None:
            return False
        covered = self._covered[position]
        if asked.endswith(CHINAS_OWN):
            return asked[: -len(CHINAS_OWN)] in covered and asked not in self._own[position]
        return asked not in covered
