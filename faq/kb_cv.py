"""Leave one KB out: how a prior fitted on some KBs' messages does on a KB it has never seen.

For each KB in turn, the prior is fitted (faq.suites.fit_prior, thresholds and all) on the other KBs'
suites only, then every suite of the left-out KB is measured with the matcher as a deployment serves it:
the rules, the gate, and faq.kb_calibration's conservative prior for a KB too small to measure. All suites of one KB
file leave together (the shipped KB's eight sets are one KB), so no message is measured by a prior that saw
its KB. The figures are `faq eval`'s columns; this is the estimate to read, since the in-sample `faq eval` of
a trained set says how well the prior remembers it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from faq.calibration import LEXICAL, Calibration
from faq.evaluation import EvalReport, evaluate
from faq.kb_calibration import calibrate
from faq.matcher import FaqMatcher
from faq.suites import FitSettings, ScoredSuite, fit_prior


@dataclass(frozen=True)
class Fold:
    kb: str  # the KB left out (faq.suites.Suite.group)
    train: list[int]  # positions (in the trainable suites) fitted on
    measure: list[int]  # positions (in all suites) measured


def leave_one_kb_out(trainable: Sequence[str], measured: Sequence[str]) -> list[Fold]:
    """One fold per KB among the measured suites' KBs (`trainable`/`measured`: each suite's KB file):
    trained on every trainable suite of another KB, measured on every suite of this one."""
    folds = []
    for kb in dict.fromkeys(measured):
        train = [i for i, other in enumerate(trainable) if other != kb]
        folds.append(Fold(kb, train, [i for i, other in enumerate(measured) if other == kb]))
    return folds


class LeakError(RuntimeError):
    """A fold would train on the KB it measures: its figures would not be a KB the prior never saw."""


@dataclass(frozen=True)
class FoldResult:
    kb: str
    prior: Calibration
    served: Calibration  # what the matcher serves the KB with (faq.kb_calibration.calibrate)
    reports: list[tuple[str, EvalReport]]  # (suite name, its figures)


def _top_candidate(matcher: FaqMatcher) -> Callable[[str], str | None]:
    def top(text: str) -> str | None:
        candidates = matcher.explain(text).candidates
        return candidates[0].faq_id if candidates else None

    return top


def cross_validate(
    trainable: Sequence[ScoredSuite],
    measured: Sequence[ScoredSuite],
    matchers: Mapping[str, FaqMatcher],
    settings: FitSettings,
    mode: str = LEXICAL,
) -> list[FoldResult]:
    """Leave-one-KB-out figures for every measured suite. `matchers` holds one (indexed) matcher per KB file,
    keyed by Suite.group (faq.suites.score_suites, in the same `mode`); a fold that would train on its own KB
    raises LeakError. In an encoder's mode the prior is served as fitted: the KB's measurement on its own
    phrasings (faq.kb_calibration) reads lexical rows only."""
    folds = leave_one_kb_out([s.suite.group for s in trainable], [s.suite.group for s in measured])
    results = []
    for fold in folds:
        train = [trainable[i] for i in fold.train]
        leaked = [s.suite.name for s in train if s.suite.group == fold.kb]
        if leaked:  # the point of the exercise: checked, whatever built the folds
            raise LeakError(f"the fold leaving out {fold.kb} would train on its own suites: {', '.join(leaked)}")
        prior = fit_prior(train, settings, mode)
        scoring = matchers[fold.kb]
        index = scoring.index
        if mode == LEXICAL:
            served = calibrate(index, prior)
            matcher = FaqMatcher(index, served)
        else:
            served = prior
            matcher = FaqMatcher(index, served, semantic=scoring.semantic)
        reports = [
            (measured[i].suite.name, evaluate(matcher, measured[i].queries, ranker=_top_candidate(matcher)))
            for i in fold.measure
        ]
        results.append(FoldResult(fold.kb, prior, served, reports))
    return results
