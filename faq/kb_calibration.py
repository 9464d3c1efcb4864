"""The served KB measured on its own 相似问 when it is loaded, and a conservative prior for a KB too small.

Every KB is measured on itself:

- *in scope* (leave one phrasing out): a sample of phrasings, each removed from its entry, pose as users'
  messages; the entry's other phrasings must still find it;
- *out of scope* (leave one entry out): a sample of whole entries removed; one phrasing of each poses as a
  message the KB no longer answers, and whatever scores best (often a near twin) must not be answered.

Both samples are left out of one copy of the index (faq.index.KbIndex.without: no analysis again), so this
costs one re-index and a few hundred candidate scorings, not one KB build per example. The figures are
reported (`faq import`, `faq ask --explain`) and decide one thing: a KB with too few phrasings or entries to
leave out keeps the prior with conservative thresholds and a warning. They no longer move the gate threshold.
That move (to where the KB's own phrasings err as often as the trained KBs' did) was measured leave one KB
out against the prior alone, with the prior trained on six KBs (faq.kb_cv, README "Calibrated across KBs"):
it pointed the wrong way on most KBs (raised Fuqing, Lishui and Wencheng, whose users' messages erred little,
lowered Guangdong and Quanzhou, whose erred more) and cost 41-71 right answers on the nine dev suites for
between one more and twelve fewer wrong ones, over seven budget and weighting settings. A KB's short, clean
phrasings beside their near twins are no guide to where its users' messages err; the prior's threshold, chosen
on messages about KBs it never saw, is a better one. The result is cached by a fingerprint of the KB, the
vocabulary, the prior and this code's version, in memory and in the cache directory, so a restart or another
process loading the same KB version reads it instead of measuring again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from config.settings import (
    CHINA_PLACES_PATH,
    FAQ_VOCABULARY_PATH,
    FLOW_CUES_PATH,
    FOREIGN_COUNTERPARTS_PATH,
    OUT_OF_SCOPE_INTENTS_PATH,
    REGIONAL_WORDS_PATH,
    TIME_CLAUSES_PATH,
)
from faq.calibration import Calibration
from faq.candidates import find_candidates
from faq.features import query_features
from faq.index import KbIndex
from faq.regional import regional_words
from faq.vocabulary import vocabulary

log = logging.getLogger(__name__)

# Bump when the sampling or the fitting rule changes: cached fits of older code are then ignored.
# 2: English lemmas, regional words; 3: a Chinese passport as status; 4: 没入籍; 5: a place after a place;
# 6: 认证 beside a pension; 10: measured only, the threshold no longer moves
FIT_VERSION = "kb-fit-10"
MAX_IN_SCOPE = 400
MAX_OUT_OF_SCOPE = 200
SEED = 7
ROUNDS = 4
# Fewer examples than this and the KB's own figures say too little to move a threshold.
MIN_IN_SCOPE = 30
MIN_OUT_OF_SCOPE = 12
# A KB too small to calibrate answers only what the prior is very sure of.
CONSERVATIVE_GATE = 0.97
CONSERVATIVE_ANSWER = 0.97

# The staff-maintained files whose words change what the matcher decides: a cached measurement is one of
# these files' contents, so an edit to any of them is measured afresh. (config/traditional_phrases.yaml only
# writes replies in Traditional script and decides nothing.)
DECISION_DATA: tuple[Path, ...] = (
    FAQ_VOCABULARY_PATH,
    CHINA_PLACES_PATH,
    FLOW_CUES_PATH,
    FOREIGN_COUNTERPARTS_PATH,
    OUT_OF_SCOPE_INTENTS_PATH,
    REGIONAL_WORDS_PATH,
    TIME_CLAUSES_PATH,
)

_memory: dict[str, Calibration] = {}
_memory_lock = threading.Lock()


@dataclass(frozen=True)
class SelfExample:
    """One of the KB's own phrasings posing as a message: the gate's view of its best candidate."""

    in_scope: bool  # its entry is still in the index (only that phrasing was left out)
    right: bool  # the best candidate is its own entry
    gate: float  # the prior's gate probability for answering that candidate
    p1: float


def fingerprint(index: KbIndex, prior: Calibration) -> str:
    """What a cached measurement was taken on: this code's version, the prior, the vocabulary as loaded, the
    bytes of every decision data file (DECISION_DATA) and the KB's phrasings and keywords."""
    digest = hashlib.sha256(FIT_VERSION.encode())
    digest.update(json.dumps(asdict(prior), sort_keys=True, ensure_ascii=False).encode())
    words = vocabulary()
    digest.update(
        json.dumps(
            [words.concepts, sorted(words.stopwords), words.english_irregular, words.english_split_forms],
            ensure_ascii=False,
        ).encode()
    )
    digest.update(json.dumps(regional_words().mainland, ensure_ascii=False, sort_keys=True).encode())
    for path in DECISION_DATA:
        digest.update(b"\x1d" + Path(path).name.encode() + b"\x1c" + Path(path).read_bytes())
    for item in index.entries:
        entry = item.entry
        digest.update("\x1e".join((entry.id, *entry.phrasings(), "\x1f", *entry.keywords)).encode())
    return digest.hexdigest()[:24]


def self_examples(index: KbIndex, prior: Calibration, seed: int = SEED) -> list[SelfExample]:
    """The KB's leave-one-phrasing-out and leave-one-entry-out examples, scored by the prior.

    In each of ROUNDS rounds a different quarter of the entries is left out whole, and one phrasing of
    each other entry that has several; a small KB so contributes every entry once as out of scope and up
    to three phrasings of each as in scope, a large one a sample of both."""
    rng = random.Random(seed)
    positions = list(range(len(index.entries)))
    rng.shuffle(positions)
    quarter = len(positions) // ROUNDS
    examples: list[SelfExample] = []
    per_round_in = MAX_IN_SCOPE // ROUNDS
    per_round_out = min(quarter, MAX_OUT_OF_SCOPE // ROUNDS)
    for round_number in range(ROUNDS if quarter else 0):
        out_entries = positions[round_number * quarter : round_number * quarter + per_round_out]
        held_out = set(positions[round_number * quarter : (round_number + 1) * quarter])
        candidates = [p for p in positions if p not in held_out and len(index.entries[p].phrasings) > 1]
        rng.shuffle(candidates)
        phrasings = {p: rng.randrange(len(index.entries[p].phrasings)) for p in candidates[:per_round_in]}
        reduced = index.without(phrasings, held_out)
        for position, phrasing in phrasings.items():
            examples.extend(_scored(reduced, index, position, phrasing, prior, in_scope=True))
        for position in out_entries:
            phrasing = rng.randrange(len(index.entries[position].phrasings))
            examples.extend(_scored(reduced, index, position, phrasing, prior, in_scope=False))
    return examples


def _scored(
    reduced: KbIndex, index: KbIndex, position: int, phrasing: int, prior: Calibration, *, in_scope: bool
) -> list[SelfExample]:
    query = index.entries[position].phrasings[phrasing]
    distinct = query.unit_set
    # The matcher never answers a message of one broad word: such phrasings teach the gate nothing.
    if not distinct or (len(distinct) == 1 and not reduced.is_specific(next(iter(distinct)))):
        return []
    positions, rows = find_candidates(reduced, query)
    if not positions:
        return []
    probabilities = [prior.probability(r) for r in rows]
    order = sorted(range(len(positions)), key=lambda i: -probabilities[i])
    p1 = probabilities[order[0]]
    p2 = probabilities[order[1]] if len(order) > 1 else 0.0
    gate = prior.gate_probability(prior.gate_row(p1, p2, rows[order[0]], query_features(query, reduced)))
    right = in_scope and reduced.entries[positions[order[0]]].entry.id == index.entries[position].entry.id
    return [SelfExample(in_scope, right, gate, p1)]


def rates_at(examples: Sequence[SelfExample], threshold: float) -> tuple[float, float, float]:
    """(right answers, wrong answers) among in-scope examples, and answered among left-out entries."""
    inside = [e for e in examples if e.in_scope]
    outside = [e for e in examples if not e.in_scope]
    right = sum(1 for e in inside if e.right and e.gate >= threshold) / max(1, len(inside))
    wrong = sum(1 for e in inside if not e.right and e.gate >= threshold) / max(1, len(inside))
    answered_out = sum(1 for e in outside if e.gate >= threshold) / max(1, len(outside))
    return right, wrong, answered_out


def conservative(prior: Calibration, reason: str) -> Calibration:
    return replace(
        prior,
        answer_threshold=max(prior.answer_threshold, CONSERVATIVE_ANSWER),
        gate_threshold=max(prior.gate_threshold, CONSERVATIVE_GATE),
        story_gate_threshold=max(prior.threshold_for(story=True), CONSERVATIVE_GATE),
        note=f"conservative (the prior only): {reason}",
    )


def fit_for_kb(index: KbIndex, prior: Calibration) -> Calibration:
    """The prior for this KB: conservative when the KB is too small to measure, else the prior itself with
    the KB's own figures at the prior's threshold in its metrics and note."""
    if not prior.has_gate:
        return replace(prior, note=f"{prior.note} (no gate: nothing to measure on this KB)")
    examples = self_examples(index, prior)
    n_in = sum(1 for e in examples if e.in_scope)
    n_out = len(examples) - n_in
    if n_in < MIN_IN_SCOPE or n_out < MIN_OUT_OF_SCOPE:
        return conservative(
            prior,
            f"知识库太小，无法在本库上检验判定参数（{len(index.entries)} 条，"
            f"{n_in} 个可留出的相似问、{n_out} 个可留出的条目，"
            f"至少需要 {MIN_IN_SCOPE} 和 {MIN_OUT_OF_SCOPE}）；只在把握很大时直接回答",
        )
    right, wrong, answered_out = rates_at(examples, prior.gate_threshold)
    return replace(
        prior,
        note=(
            f"measured on this KB ({len(index.entries)} entries; {n_in} phrasings and {n_out} entries left out) "
            f"at the prior's gate threshold {prior.gate_threshold:.3f}: its own phrasings answered right "
            f"{right:.0%}, wrong {wrong:.0%}, left-out entries answered {answered_out:.0%}"
        ),
        metrics={
            **prior.metrics,
            "kb_self_right": round(right, 4),
            "kb_self_wrong": round(wrong, 4),
            "kb_self_left_out_answered": round(answered_out, 4),
        },
    )


def calibrate(index: KbIndex, prior: Calibration, cache_dir: Path | None = None) -> Calibration:
    """The calibration for this KB: from memory, from the cache directory, or fitted now (and stored)."""
    if not index.entries:  # the placeholder a process serves before its first load: nothing to fit or keep
        return conservative(prior, "知识库为空")
    key = fingerprint(index, prior)
    path = cache_dir / "calibration" / f"{key}.json" if cache_dir is not None else None
    with _memory_lock:
        cached = _memory.get(key)
    if cached is not None:
        if path is not None and not path.exists():  # fitted in this process for another directory
            _write(path, cached)
        return cached
    calibration = _read(path, prior) if path is not None else None
    if calibration is None:
        calibration = fit_for_kb(index, prior)
        if path is not None:
            _write(path, calibration)
    if calibration.note.startswith("conservative") and index.entries:  # an empty KB is only a placeholder
        log.warning("faq: %s", calibration.note)
    with _memory_lock:
        if len(_memory) > 16:
            _memory.clear()
        _memory[key] = calibration
    return calibration


def _read(path: Path, prior: Calibration) -> Calibration | None:
    """Only the fitted parts are stored; the rest is the prior the fingerprint already names."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        threshold = float(data["gate_threshold"])
        story = data["story_gate_threshold"]  # missing (an entry written without it): fit again
        metrics = {str(k): float(v) for k, v in data["metrics"].items()}
        if not math.isfinite(threshold):
            return None
        return replace(
            prior,
            gate_threshold=threshold,
            story_gate_threshold=None if story is None else float(story),
            answer_threshold=float(data["answer_threshold"]),
            note=str(data["note"]),
            metrics=metrics,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # missing or damaged: fit again


def _write(path: Path, calibration: Calibration) -> None:
    document = {
        "gate_threshold": calibration.gate_threshold,
        "story_gate_threshold": calibration.story_gate_threshold,
        "answer_threshold": calibration.answer_threshold,
        "note": calibration.note,
        "metrics": calibration.metrics,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    except OSError:  # read-only disk: the next start fits again, nothing breaks
        log.info("faq: could not keep the KB calibration at %s", path)
