"""Labelled message sets scored against their own KB: what faq.training fits the prior on.

A suite is a KB file and a file of labelled messages about it (``KB:QUERIES``, as ``faq eval --suite`` takes
it). Each message's candidates are found in its own KB, so a prior can be fitted on messages about several
KBs at once, each KB one fold (faq.fitting). Building the data needs files and the matcher; the statistics
are faq.fitting's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from faq.calibration import LEXICAL, MODE_CANDIDATE_COLUMNS, MODE_FEATURES, Calibration
from faq.embedding import Embedder, PrecomputedQueries
from faq.evaluation import LabelledQuery, load_queries
from faq.fitting import LabelledCandidates, fit_calibration
from faq.kb import load_kb
from faq.matcher import MAX_ANALYSED_CHARS, FaqMatcher
from faq.semantic import prepare

# Budgets for choosing the thresholds on out-of-fold probabilities. With one fold per KB those
# probabilities come from models that never saw the message's KB, and they err more than the served matcher
# does (its rules settle some of those messages first): at 2 % / 4.5 % here, the leave-one-KB-out estimate
# (faq.kb_cv) answers 1.4 % of in-scope messages wrongly and 1.8 % of out-of-scope ones on the nine dev
# suites. Chosen there among 1.5-3 % / 3-5 % (README, "Calibrated across KBs").
WRONG_BUDGET = 0.02
OOS_BUDGET = 0.045


@dataclass(frozen=True)
class Suite:
    kb: str  # the KB file, as given
    queries: str

    @property
    def group(self) -> str:
        """The KB file itself, however it was spelled (``./config/faq.yaml`` is ``config/faq.yaml``): suites of
        one KB file are one KB, so one spelling must not let a KB's messages into its own left-out fold."""
        return str(Path(self.kb).resolve())

    @property
    def name(self) -> str:
        return f"{self.kb}:{self.queries}"


def suite_label(suite: Suite) -> str:
    """The queries file with its folder (``data/faq_dev``, ``kb_fuqing/messages``): short, and tells KBs apart."""
    path = Path(suite.queries)
    return f"{path.parent.name}/{path.stem}"


def parse_suite(value: str) -> Suite:
    """``KB_FILE:QUERIES_FILE``; both must exist."""
    kb, sep, queries = value.rpartition(":")
    if not sep or not Path(kb).is_file() or not Path(queries).is_file():
        raise ValueError(f"{value!r}: expected KB_FILE:QUERIES_FILE, both existing files")
    return Suite(kb, queries)


@dataclass(frozen=True)
class ScoredSuite:
    suite: Suite
    queries: list[LabelledQuery]
    labelled: list[LabelledCandidates]


@dataclass(frozen=True)
class FitSettings:
    l2: float = 1.0
    gate_l2: float = 1.0
    wrong_budget: float = WRONG_BUDGET
    oos_budget: float = OOS_BUDGET
    balance: bool = False  # every KB weighs the same, whatever its number of labelled messages
    story_threshold: bool = True  # stories get a gate threshold of their own (faq.fitting.choose_gate_thresholds)
    latin_gate: bool = True  # the gate weighs its columns by the message's Latin share too (faq.features)


def labelled_candidates(
    matcher: FaqMatcher, text: str, expect: str | None, style: str = "", group: str = ""
) -> LabelledCandidates:
    """One labelled message's candidates with 0/1 labels (1: the entry it expects)."""
    ids, rows, query_row = matcher.candidate_rows(text)
    labels = [1 if i == expect else 0 for i in ids]
    return LabelledCandidates(rows, labels, expect is not None, style, query_row, group, matcher.reads_as_story(text))


def placeholder_calibration(mode: str) -> Calibration:
    """Candidates and their features do not depend on the calibration: any set of the right size will do."""
    return Calibration((0.0,) * len(MODE_FEATURES[mode]), 0.0, 1.0, 1.0, 1.0, 1.0)


def score_suites(
    suites: Sequence[Suite], mode: str = LEXICAL, embedder: Embedder | None = None, cache_dir: Path | None = None
) -> tuple[list[ScoredSuite], dict[str, FaqMatcher]]:
    """Every suite's messages with their candidates, and one matcher per KB file (indexed once; keyed by
    Suite.group). With an `embedder`, every message's vector is computed first, in batches, through the disk
    cache in `cache_dir` (None: in memory), and the phrasings' vectors are kept there too."""
    matchers: dict[str, FaqMatcher] = {}
    scored: list[ScoredSuite] = []
    loaded = [(suite, load_queries(suite.queries)) for suite in suites]
    if embedder is not None:
        texts = [prepare(q.q[:MAX_ANALYSED_CHARS]) for _, queries in loaded for q in queries]
        embedder = PrecomputedQueries(embedder, texts, cache_dir)
    for suite, queries in loaded:
        matcher = matchers.get(suite.group)
        if matcher is None:
            matcher = FaqMatcher.build(
                load_kb(suite.kb), calibration=placeholder_calibration(mode), embedder=embedder, cache_dir=cache_dir
            )
            matchers[suite.group] = matcher
        labelled = [labelled_candidates(matcher, q.q, q.expect, q.style, suite.group) for q in queries]
        scored.append(ScoredSuite(suite, queries, labelled))
    return scored, matchers


def fit_prior(scored: Sequence[ScoredSuite], settings: FitSettings, mode: str = LEXICAL) -> Calibration:
    """The prior fitted on every suite in `scored` (one fold per KB file for its thresholds)."""
    labelled = [q for s in scored for q in s.labelled]
    kbs = list(dict.fromkeys(s.suite.group for s in scored))
    names = ", ".join(f"{suite_label(s.suite)} ({len(s.labelled)})" for s in scored)
    return fit_calibration(
        labelled,
        l2=settings.l2,
        note=f"{mode}: fitted on {len(labelled)} messages about {len(kbs)} KB{'s' if len(kbs) > 1 else ''}: {names}",
        wrong_budget=settings.wrong_budget,
        oos_budget=settings.oos_budget,
        feature_names=MODE_FEATURES[mode],
        gate_l2=settings.gate_l2,
        balance=settings.balance,
        candidate_columns=MODE_CANDIDATE_COLUMNS[mode],
        split_story_thresholds=settings.story_threshold,
        gate_latin=settings.latin_gate,
    )
