"""The KB check: problems a person can fix before users meet them, found with the matcher the bot serves.

- ``same_phrasing``: two entries share a phrasing (after folding case, width and punctuation): the
  matcher cannot tell them apart.
- ``misrouted``: a question or 相似问 of one entry that the matcher answers with a different entry.
- ``ambiguous``: a phrasing the matcher can only answer with a choice between its own entry and another.
- ``near_duplicate_answer``: two entries give (almost) the same answer: usually one question split in two.
- ``empty_category``: a menu topic with no entries (the user taps it and gets nothing), and
  ``unlisted_category``: entries whose category no menu topic shows.

Pure: entries in, findings out. Only the matcher's public API is used (build, decide, Decision).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from faq.explanation import Candidate
from faq.kb import FaqEntry
from faq.matcher import FaqMatcher

Kind = Literal[
    "same_phrasing", "misrouted", "ambiguous", "near_duplicate_answer", "empty_category", "unlisted_category"
]
KIND_TEXT: dict[str, str] = {
    "same_phrasing": "问法重复",
    "misrouted": "相似问被答成别的条目",
    "ambiguous": "问法与别的条目分不开",
    "near_duplicate_answer": "答案几乎相同",
    "empty_category": "菜单分类没有条目",
    "unlisted_category": "分类不在菜单中",
}
# Answers whose shorter one lies at least this much inside the other (folded text) are near-duplicates.
NEAR_DUPLICATE_RATIO = 0.9
# A phrasing whose own entry leads another by at most this much probability, exact copy and all, is reported as
# misrouted (lint._rival): the planted mislabelled 相似问 of the tests leads by 0.007-0.009 under the prior
# trained across KBs, while the shipped KB's phrasings lead their runner-up by far more (the shipped-KB test).
RIVAL_MARGIN = 0.05
# Bigrams shared by more entries than this are too common to suggest a duplicate pair.
_COMMON_BIGRAM = 40
_FOLD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Finding:
    kind: Kind
    entry_ids: tuple[str, ...]  # the entries involved, the one to fix first
    text: str  # the phrasing, answer excerpt or category concerned
    detail: str = ""

    @property
    def label(self) -> str:
        return KIND_TEXT[self.kind]

    def involves(self, ids: set[str]) -> bool:
        return bool(ids.intersection(self.entry_ids))


def fold(text: str) -> str:
    return _FOLD.sub("", unicodedata.normalize("NFKC", text)).lower()


def _same_phrasings(entries: Sequence[FaqEntry]) -> list[Finding]:
    owners: dict[str, dict[str, str]] = defaultdict(dict)
    for entry in entries:
        for phrasing in entry.phrasings():
            owners[fold(phrasing)].setdefault(entry.id, phrasing)
    return [
        Finding("same_phrasing", tuple(by_entry), next(iter(by_entry.values())))
        for key, by_entry in owners.items()
        if key and len(by_entry) > 1
    ]


def _route(entry: FaqEntry, matcher: FaqMatcher, skip: set[str], seen: set[str]) -> list[Finding]:
    """Findings for one entry's phrasings; ``seen`` collects every entry the matcher named on the way."""
    findings: list[Finding] = []
    for phrasing in entry.phrasings():
        if fold(phrasing) in skip:
            continue  # already reported as the same phrasing in two entries
        why = matcher.explain(phrasing)  # the decision and its candidates in one pass
        decision = why.decision or matcher.decide(phrasing)  # explain always records one
        seen.update(i for i in (decision.faq_id, *decision.suggestions) if i)
        if decision.decision == "answer" and decision.faq_id not in (None, entry.id):
            findings.append(Finding("misrouted", (entry.id, str(decision.faq_id)), phrasing))
        elif decision.decision == "answer":
            rival = _rival(why.candidates, entry.id)
            if rival is not None:
                seen.add(rival)  # a near-equal rival is confused with it too: its own phrasings are checked
                findings.append(Finding("misrouted", (entry.id, rival), phrasing, "另一个条目几乎同样匹配"))
        elif decision.decision == "suggest":
            others = [i for i in decision.suggestions[:2] if i != entry.id]
            if entry.id not in decision.suggestions[:2]:
                findings.append(Finding("misrouted", (entry.id, *others[:1]), phrasing, "只给出其他条目供选择"))
            elif others:
                findings.append(Finding("ambiguous", (entry.id, others[0]), phrasing))
    return findings


def _rival(candidates: Sequence[Candidate], own: str) -> str | None:
    """Another entry that matches one of `own`'s phrasings about as well as `own` does, although the phrasing
    is written in `own` (its exact copy in the index should settle it): the 相似问 belongs to the other entry at
    least as much, a mislabelled one whose exact copy alone keeps it home. Such a phrasing is answered from its
    own entry today and from the other one after the next small edit to either."""
    if len(candidates) < 2 or candidates[0].faq_id != own:
        return None
    first, second = candidates[0].probability, candidates[1].probability
    return candidates[1].faq_id if first - second <= RIVAL_MARGIN else None


def _routing(entries: Sequence[FaqEntry], matcher: FaqMatcher, skip: set[str], focus: set[str] | None) -> list[Finding]:
    """Every phrasing through the matcher; with ``focus``, only the focused entries' phrasings and those of
    the entries the matcher confuses them with (a new 相似问 can pull another entry's questions to itself)."""
    by_id = {entry.id: entry for entry in entries}
    if focus is None:
        return [f for entry in entries for f in _route(entry, matcher, skip, set())]
    seen: set[str] = set()
    findings = [f for i in sorted(focus) if i in by_id for f in _route(by_id[i], matcher, skip, seen)]
    for neighbour in sorted(seen - focus):
        if neighbour in by_id:
            findings += [f for f in _route(by_id[neighbour], matcher, skip, set()) if f.involves(focus)]
    return findings


def _near_duplicate_answers(entries: Sequence[FaqEntry]) -> list[Finding]:
    """Pairs sharing rare bigrams are compared in full; the rest cannot be near-duplicates."""
    folded = [fold(entry.answer) for entry in entries]
    grams = [{text[i : i + 2] for i in range(len(text) - 1)} for text in folded]
    holders: dict[str, list[int]] = defaultdict(list)
    for position, entry_grams in enumerate(grams):
        for gram in entry_grams:
            holders[gram].append(position)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for positions in holders.values():
        if len(positions) > _COMMON_BIGRAM:
            continue
        for i, a in enumerate(positions):
            for b in positions[i + 1 :]:
                shared[(a, b)] += 1
    findings: list[Finding] = []
    for (a, b), count in shared.items():
        smaller = min(len(grams[a]), len(grams[b]))
        if not smaller or count < 0.5 * smaller:
            continue
        matcher = SequenceMatcher(None, folded[a], folded[b], autojunk=False)
        # Containment, not symmetric ratio: a short answer repeated inside a longer one is a duplicate too.
        shared_chars = sum(block.size for block in matcher.get_matching_blocks())
        ratio = shared_chars / min(len(folded[a]), len(folded[b]))
        if ratio >= NEAR_DUPLICATE_RATIO:
            excerpt = entries[a].answer.strip().splitlines()[0][:40]
            findings.append(
                Finding("near_duplicate_answer", (entries[a].id, entries[b].id), excerpt, f"相似度 {ratio:.0%}")
            )
    return findings


def category_findings(entries: Sequence[FaqEntry], menu: Sequence[tuple[str, Sequence[str]]]) -> list[Finding]:
    used: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        used[entry.category].append(entry.id)
    findings = [
        Finding("empty_category", (), title, "、".join(categories))
        for title, categories in menu
        if not any(used.get(category) for category in categories)
    ]
    listed = {category for _, categories in menu for category in categories}
    findings += [
        Finding("unlisted_category", tuple(ids[:5]), category, f"{len(ids)} 条")
        for category, ids in used.items()
        if menu and category not in listed
    ]
    return findings


def check_kb(
    entries: Sequence[FaqEntry],
    menu: Sequence[tuple[str, Sequence[str]]] = (),
    matcher: FaqMatcher | None = None,
    focus: set[str] | None = None,
) -> list[Finding]:
    """Every finding, most harmful first. ``matcher`` defaults to the lexical matcher built on ``entries``.
    ``focus`` (the entries a publish changes) limits the matcher round, the costly part, to what they touch."""
    matcher = matcher or FaqMatcher.build(entries, embedder=None)
    same = _same_phrasings(entries)
    skip = {fold(f.text) for f in same}
    findings = [
        *same,
        *_routing(entries, matcher, skip, focus),
        *_near_duplicate_answers(entries),
        *category_findings(entries, menu),
    ]
    order = list(KIND_TEXT)
    return sorted(findings, key=lambda f: (order.index(f.kind), f.entry_ids, f.text))
