"""Training the prior on messages about several KBs, and the leave-one-KB-out estimate.

The fixture is two KBs with the same questions under different ids: a message scored against the wrong KB
finds no entry it expects, so every mix-up of suites shows as a message without its right candidate."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
import yaml

import faq.kb_cv as kb_cv
from faq.calibration import Calibration
from faq.evaluation import EvalReport, StyleStats
from faq.features import gate_feature_names
from faq.fitting import LabelledCandidates, cross_validated_probabilities, query_folds, query_weights
from faq.kb_cv import cross_validate, leave_one_kb_out
from faq.suites import FitSettings, ScoredSuite, Suite, fit_prior, score_suites
from faq.training import STORY_STYLE, cv_table

MINI_KB = Path(__file__).with_name("data") / "mini_kb.yaml"

# (message, the mini KB's id it asks about; None: out of scope)
MESSAGES = [
    ("我在国外护照丢了怎么补办", "passport-lost-abroad"),
    ("护照被偷了能办旅行证回国吗", "passport-lost-abroad"),
    ("护照快过期了在海外怎么换", "passport-renew-abroad"),
    ("在海外用中国领事APP换护照", "passport-renew-abroad"),
    ("中国承认双重国籍吗", "dual-nationality"),
    ("入了外籍以后中国国籍还在吗", "dual-nationality"),
    ("外籍华人回国探亲签证怎么办", "visa-foreign-chinese"),
    ("台胞证过期了怎么换", "hk-macau-taiwan-permits"),
    ("美国的房子怎么卖", None),
    ("今天股市怎么样", None),
]


@pytest.fixture(scope="module")
def two_kbs(tmp_path_factory: pytest.TempPathFactory) -> list[Suite]:
    """KB "a" is the mini KB with ids prefixed a-, KB "b" the same with b-; one message file for each."""
    root = tmp_path_factory.mktemp("kbs")
    entries = yaml.safe_load(MINI_KB.read_text(encoding="utf-8"))
    suites = []
    for prefix in ("a", "b"):
        kb = root / f"kb_{prefix}.yaml"
        kb.write_text(yaml.safe_dump([{**e, "id": f"{prefix}-{e['id']}"} for e in entries], allow_unicode=True))
        queries = root / f"messages_{prefix}.yaml"
        rows = [{"q": q, "expect": f"{prefix}-{x}" if x else None, "style": "plain"} for q, x in MESSAGES]
        queries.write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
        suites.append(Suite(str(kb), str(queries)))
    return suites


@pytest.fixture(scope="module")
def scored(two_kbs: list[Suite]) -> tuple[list[ScoredSuite], dict]:
    return score_suites(two_kbs)


def test_each_message_is_scored_against_its_own_kb(scored: tuple[list[ScoredSuite], dict]) -> None:
    suites, matchers = scored
    assert set(matchers) == {s.suite.group for s in suites}
    for s in suites:
        in_scope = [q for q in s.labelled if q.in_scope]
        assert len(in_scope) == 8 and all(q.group == s.suite.group for q in s.labelled)
        # the expected id (this KB's prefix) is among the candidates of every in-scope message
        assert all(sum(q.labels) == 1 for q in in_scope)
        assert all(sum(q.labels) == 0 for q in s.labelled if not q.in_scope)


def test_the_prior_is_fitted_on_both_kbs_with_one_fold_each(scored: tuple[list[ScoredSuite], dict]) -> None:
    suites, _ = scored
    labelled = [q for s in suites for q in s.labelled]
    assert query_folds(labelled) == [0] * 10 + [1] * 10
    prior = fit_prior(suites, FitSettings())
    assert "20 messages about 2 KBs" in prior.note
    assert prior.has_gate and "cv_gate_correct" in prior.metrics
    # the messages' right candidates were found, so the fit learns that covering the message matters
    assert prior.weights[0] > 0
    # the gate has its columns again weighed by the Latin share (the default), or not
    assert prior.gate_latin and len(prior.gate_weights) == len(gate_feature_names(prior.feature_names, latin=True))
    plain = fit_prior(suites, dataclasses.replace(FitSettings(), latin_gate=False))
    assert not plain.gate_latin and len(plain.gate_weights) == len(gate_feature_names(plain.feature_names))


def _synthetic(group: str, rng: random.Random, flip: bool = False) -> LabelledCandidates:
    right, wrong = [rng.random() + 0.5, rng.random()], [rng.random(), rng.random() + 0.5]
    labels = [0, 1] if flip else [1, 0]
    return LabelledCandidates([right, wrong], labels, True, "s", [], group)


def test_a_kbs_out_of_fold_probabilities_never_see_its_own_labels() -> None:
    rng = random.Random(3)
    base = [_synthetic(g, rng) for g in ("a", "b", "c") for _ in range(30)]
    flipped = [
        LabelledCandidates(q.features, q.labels[::-1], True, "s", [], q.group) if q.group == "a" else q for q in base
    ]
    before = cross_validated_probabilities(base, query_folds(base))
    after = cross_validated_probabilities(flipped, query_folds(flipped))
    assert before[:30] == after[:30]  # KB a is scored by models fitted on b and c only
    assert before[30:] != after[30:]  # ... which its labels did change


def test_one_kb_is_split_at_random_by_message() -> None:
    rng = random.Random(3)
    queries = [_synthetic("", rng) for _ in range(50)]
    folds = query_folds(queries)
    assert sorted(set(folds)) == [0, 1, 2, 3, 4] and folds != sorted(folds)


def test_balance_weighs_every_kb_the_same() -> None:
    rng = random.Random(3)
    queries = [_synthetic("big", rng) for _ in range(30)] + [_synthetic("small", rng) for _ in range(10)]
    weights = query_weights(queries, balance=True)
    assert sum(weights[:30]) == pytest.approx(sum(weights[30:])) == pytest.approx(20)
    assert query_weights(queries, balance=False) == [1.0] * 40


def test_leave_one_kb_out_never_trains_on_the_kb_it_measures() -> None:
    trainable = ["x", "x", "y", "z", "x"]
    measured = [*trainable, "y", "w"]  # two measure-only suites, one of a KB never trained on
    folds = leave_one_kb_out(trainable, measured)
    assert [f.kb for f in folds] == ["x", "y", "z", "w"]
    for fold in folds:
        assert fold.train and all(trainable[i] != fold.kb for i in fold.train)
        assert sorted(fold.measure) == [i for i, kb in enumerate(measured) if kb == fold.kb]
    assert folds[0].train == [2, 3] and folds[3].train == [0, 1, 2, 3, 4]


def test_cross_validation_fits_each_fold_without_the_kb_it_measures(
    scored: tuple[list[ScoredSuite], dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    suites, matchers = scored
    seen: list[list[str]] = []
    real_fit = kb_cv.fit_prior

    def recording_fit(train: list[ScoredSuite], *args: object, **kwargs: object) -> Calibration:
        seen.append([s.suite.group for s in train])
        return real_fit(train, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(kb_cv, "fit_prior", recording_fit)
    results = cross_validate(suites, suites, matchers, FitSettings())
    assert [r.kb for r in results] == [s.suite.group for s in suites]
    assert seen == [[suites[1].suite.group], [suites[0].suite.group]]
    for result in results:
        ((name, report),) = result.reports
        assert name.startswith(result.kb) and report.overall.total == 10


def test_the_cv_table_shows_one_style_on_its_own() -> None:
    story = StyleStats(total=10, in_scope=10, answered_correct=4)
    plain = StyleStats(total=30, in_scope=30, answered_correct=27)
    overall = StyleStats(total=40, in_scope=40, answered_correct=31)
    report = EvalReport(overall, {STORY_STYLE: story, "plain": plain}, 0.0, 0.0)
    cal = Calibration((), 0.0, 1, 1, 1, 1)
    suite = f"{MINI_KB}:{MINI_KB}"  # the table names a suite by its files, which must exist
    results = [kb_cv.FoldResult(str(MINI_KB), cal, cal, [(suite, report)])]
    whole, stories = cv_table(results), cv_table(results, STORY_STYLE)
    assert whole[-1].split()[:3] == ["ALL", "40", "77.5"]
    assert stories[0].startswith(STORY_STYLE) and stories[-1].split()[:3] == ["ALL", "10", "40.0"]
    assert cv_table(results, "no-such-style")[-1].split()[:2] == ["ALL", "0"]


def test_one_kb_file_spelled_two_ways_is_one_kb(two_kbs: list[Suite], monkeypatch: pytest.MonkeyPatch) -> None:
    kb_a, kb_b = (Path(s.kb) for s in two_kbs)
    monkeypatch.chdir(kb_a.parent)
    # the same file as "./kb_a.yaml" and by its absolute path: one KB, never trained on when it is left out
    spelled = [Suite(f"./{kb_a.name}", two_kbs[0].queries), Suite(str(kb_a), two_kbs[0].queries), two_kbs[1]]
    assert spelled[0].kb != spelled[1].kb and spelled[0].group == spelled[1].group
    scored, matchers = score_suites(spelled)
    assert len(matchers) == 2
    folds = leave_one_kb_out([s.suite.group for s in scored], [s.suite.group for s in scored])
    assert [(f.train, f.measure) for f in folds] == [([2], [0, 1]), ([0, 1], [2])]
    assert fit_prior(scored, FitSettings()).note.count(" 2 KBs") == 1
    assert str(kb_b.resolve()) == spelled[2].group


def test_a_fold_that_would_train_on_its_own_kb_is_refused(
    scored: tuple[list[ScoredSuite], dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    suites, matchers = scored

    def leaky(trainable: list[str], measured: list[str]) -> list[kb_cv.Fold]:
        return [kb_cv.Fold(measured[0], [0, 1], [0])]

    monkeypatch.setattr(kb_cv, "leave_one_kb_out", leaky)
    with pytest.raises(kb_cv.LeakError, match="would train on its own suites"):
        cross_validate(suites, suites, matchers, FitSettings())
