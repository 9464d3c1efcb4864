"""Which side money or an estate comes from: China or abroad (cue words in ``config/flow_cues.yaml``).

Near-twin entries differ by the direction of a flow with the same concepts on both sides: money sent home
("在国外赚的钱汇回泉州") or sent abroad ("国内的钱汇到国外"), an estate left in China ("继承国内的遗产") or abroad
("海外亲属的遗产", "my uncle in Malaysia died and left something to my mother"). faq.whereabouts says where the
*user* is, which here does not decide: the heir of an estate abroad lives in China, the heir of one in China
abroad. This reads where the *thing* comes from, over the places (concepts #domestic / #abroad) and a few cue
words (see the YAML file for the rules); the matcher lets the near twin that agrees lead, as it does for the
user's whereabouts (faq.whereabouts.twin_to_lead), reading the KB's phrasings with the same rule.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from config.settings import FLOW_CUES_PATH
from faq.vocabulary_file import VocabularyError, kind_of, read_word_file
from faq.whereabouts import ABROAD, CHINA, other_side, side_of

_REMIT = "#remit"
# How far before a from/to marker a flow verb still governs it.
_VERB_REACH = 7
# Chinese may put the verb after the place: "从泉州往国外汇钱", "从国外汇钱回国内".
_VERB_AFTER = 2
# Skipped before a place when looking for its from/to marker: "from my Chinese bank account".
_DETERMINERS = frozenset({"a", "an", "the", "my", "our", "your", "his", "her", "their"})
# People may stand between a place and what they left: "菲律宾的叔公去世了".
_PEOPLE = frozenset({"#parent", "#child", "#spouse", "#relatives", "#grandchildren", "#people"})
# How many in-between words may separate a place from what is left or earned there.
_BETWEEN_REACH = 3


@dataclass(frozen=True)
class FlowCues:
    flow_verbs: frozenset[str]
    from_markers: frozenset[str]
    to_markers: frozenset[str]
    home_words: frozenset[str]
    out_words: frozenset[str]
    source_things: frozenset[str]
    between: frozenset[str]


_KEYS = ("flow_verbs", "from_markers", "to_markers", "home_words", "out_words", "source_things", "between")
# Lists whose words each say something different about a flow, tried in this order by flow_source: a word in
# two of them would be decided by that order, not by the file, so it is refused.
_EXCLUSIVE = ("home_words", "out_words", "flow_verbs")
KIND = "flow cue file"


def parse_flow_cues(text: str, path: Path) -> FlowCues:
    """Validate the file's text: every key present, each a non-empty list of non-empty lower-case strings, no
    other key, and no word in two of home_words, out_words and flow_verbs (a word moving money home, out,
    or merely moving it says one of these); raise VocabularyError listing every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise VocabularyError(path, [f"not valid YAML: {exc}"], KIND) from None
    if not isinstance(data, dict):
        raise VocabularyError(path, [f"the file must be a mapping with the keys {', '.join(_KEYS)}"], KIND)
    problems = [f"unknown key {key!r} (known: {', '.join(_KEYS)})" for key in data if key not in _KEYS]
    lists: dict[str, frozenset[str]] = {}
    for key in _KEYS:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            problems.append(f"{key}: missing or empty: a list of words")
            continue
        for i, word in enumerate(value):
            if not isinstance(word, str):
                # yes/no/on/off and numbers are not text to YAML: say how to write them
                problems.append(f"{key}: item {i + 1} is {kind_of(word)} ({word!r}), not text: put it in quotes")
        bad = [w for w in value if isinstance(w, str) and (not w.strip() or w != w.lower())]
        if bad:
            problems.append(f"{key}: {bad!r}: each word is a non-empty lower-case string")
        lists[key] = frozenset(w for w in value if isinstance(w, str))
    for n, first in enumerate(_EXCLUSIVE):
        for second in _EXCLUSIVE[n + 1 :]:
            for word in sorted(lists.get(first, frozenset()) & lists.get(second, frozenset())):
                problems.append(f"{word!r} is in both {first} and {second}: a word says one of them; keep it in one")
    if problems:
        raise VocabularyError(path, problems, KIND)
    return FlowCues(**lists)


_lock = threading.Lock()
_shipped: FlowCues | None = None


def flow_cues() -> FlowCues:
    """The shipped cue file, read and checked once per process."""
    global _shipped
    if _shipped is not None:
        return _shipped
    with _lock:
        if _shipped is None:
            _shipped = parse_flow_cues(read_word_file(FLOW_CUES_PATH, KIND), Path(FLOW_CUES_PATH))
        return _shipped


def flow_source(tokens: Sequence[tuple[str, frozenset[str], int]], cues: FlowCues | None = None) -> str | None:
    """CHINA, ABROAD or None: where the money or estate a message speaks of comes from, from (token, its
    concepts, clause number) in reading order. The cues found vote; a tie or none says nothing."""
    cues = cues or flow_cues()
    votes = {CHINA: 0, ABROAD: 0}
    words = [t for t, _, _ in tokens]
    for i, (token, concepts, clause) in enumerate(tokens):
        if token in cues.home_words:
            votes[ABROAD] += 1
            continue
        if token in cues.out_words:
            votes[CHINA] += 1
            continue
        side = side_of(concepts)
        if side is None:
            continue
        j = i - 1
        while j > 0 and words[j] in _DETERMINERS:
            j -= 1
        previous = words[j] if j >= 0 else ""
        window = [(t, k) for t, k, c in tokens[max(0, i - _VERB_REACH) : i] if c == clause]
        after = [(t, k) for t, k, c in tokens[i + 1 : i + 1 + _VERB_AFTER] if c == clause]
        same = [t for t, _ in window]
        flowing = any(t in cues.flow_verbs or _REMIT in k for t, k in window + after)
        # a two-word marker may end a longer token: "transfer it out" + "of" + "china"
        pair = " ".join(" ".join(words[max(0, j - 1) : j + 1]).split()[-2:])
        if (previous in cues.from_markers or pair in cues.from_markers) and flowing:
            votes[side] += 1
            continue
        if previous in cues.to_markers and (flowing or previous in cues.flow_verbs):
            votes[other_side(side)] += 1
            continue
        if _next_thing(tokens, i, cues) or _thing_before(same, cues):
            votes[side] += 1
    if votes[CHINA] == votes[ABROAD]:
        return None
    return CHINA if votes[CHINA] > votes[ABROAD] else ABROAD


def _next_thing(tokens: Sequence[tuple[str, frozenset[str], int]], i: int, cues: FlowCues) -> bool:
    """ "国内的遗产", "海外亲属的遗产", "在国外打工的钱", "uncle in Malaysia died": what follows the place, past a
    few in-between words, is something left or earned."""
    clause = tokens[i][2]
    for token, concepts, c in tokens[i + 1 : i + 2 + _BETWEEN_REACH]:
        if c != clause:
            return False
        if token in cues.source_things:
            return True
        if token not in cues.between and not _PEOPLE & concepts:
            return False
    return False


def _thing_before(before: Sequence[str], cues: FlowCues) -> bool:
    """ "passed away in Shantou", "money in a Chinese bank", "property left in China": what precedes the place,
    past a few in-between words, is something left or earned (English order)."""
    for token in reversed(before[-(1 + _BETWEEN_REACH) :]):
        if token in cues.source_things:
            return True
        if token not in cues.between:
            return False
    return False
