"""Per-KB calibration: the KB measured on its own phrasings at build time (the prior's threshold kept),
cached by fingerprint, conservative (with a warning) for a KB too small to measure."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

import faq.kb_calibration as kb_calibration
from faq.calibration import load_calibration
from faq.index import KbIndex
from faq.kb import FaqEntry, load_kb
from faq.kb_calibration import (
    CONSERVATIVE_GATE,
    SelfExample,
    calibrate,
    fingerprint,
    rates_at,
    self_examples,
)
from faq.matcher import FaqMatcher

ROOT = Path(__file__).resolve().parents[2]
# A 50-entry KB written apart from the shipped one (a dev set of the project, not a measuring set).
FUQING_KB = ROOT / "bench" / "data" / "kb_fuqing" / "kb.yaml"


@pytest.fixture(scope="module")
def fuqing() -> list[FaqEntry]:
    return load_kb(FUQING_KB)


@pytest.fixture(autouse=True)
def _forget_fits() -> None:
    kb_calibration._memory.clear()


def test_a_kb_is_measured_on_its_own_phrasings_and_served_with_the_prior(
    fuqing: list[FaqEntry], tmp_path: Path
) -> None:
    prior = load_calibration()
    matcher = FaqMatcher.build(fuqing, cache_dir=tmp_path)
    fitted = matcher.calibration
    assert fitted.note.startswith("measured on this KB (50 entries;")
    assert fitted.weights == prior.weights and fitted.gate_weights == prior.gate_weights
    assert fitted.gate_threshold == prior.gate_threshold  # the KB's own phrasings do not move it
    assert 0 <= fitted.metrics["kb_self_wrong"] <= 1 and "kb_self_left_out_answered" in fitted.metrics
    assert f"{fitted.gate_threshold:.3f}" in matcher.explain("护照丢了怎么办").calibration
    (stored,) = (tmp_path / "calibration").glob("*.json")
    assert stored.stem == fingerprint(matcher._index, prior)


def test_a_second_process_reads_the_fit_instead_of_fitting(
    fuqing: list[FaqEntry], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = FaqMatcher.build(fuqing, cache_dir=tmp_path).calibration
    kb_calibration._memory.clear()  # as in another process

    def no_fit(*_: object) -> None:
        raise AssertionError("fitted again although the cache holds this KB's fit")

    monkeypatch.setattr(kb_calibration, "fit_for_kb", no_fit)
    assert FaqMatcher.build(fuqing, cache_dir=tmp_path).calibration == first


def test_an_edited_kb_is_fitted_afresh_and_a_damaged_cache_is_refitted(fuqing: list[FaqEntry], tmp_path: Path) -> None:
    prior = load_calibration()
    before = FaqMatcher.build(fuqing, cache_dir=tmp_path)
    edited = [dataclasses.replace(fuqing[0], similar=(*fuqing[0].similar, "新加的一个问法")), *fuqing[1:]]
    after = FaqMatcher.build(edited, cache_dir=tmp_path)
    assert fingerprint(before._index, prior) != fingerprint(after._index, prior)
    assert len(list((tmp_path / "calibration").glob("*.json"))) == 2
    for path in (tmp_path / "calibration").glob("*.json"):
        path.write_text("{not json", encoding="utf-8")
    kb_calibration._memory.clear()
    again = FaqMatcher.build(fuqing, cache_dir=tmp_path).calibration
    assert again.gate_threshold == before.calibration.gate_threshold and again.note.startswith("measured")


def test_a_kb_too_small_gets_conservative_thresholds_and_a_warning(
    mini_entries: list[FaqEntry], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="faq.kb_calibration"):
        matcher = FaqMatcher.build(mini_entries)
    assert matcher.calibration.gate_threshold >= CONSERVATIVE_GATE
    assert matcher.calibration.note.startswith("conservative")
    assert any("知识库太小" in r.getMessage() for r in caplog.records)
    decision = matcher.decide("在国外护照丢了怎么办")  # a near-verbatim question is still answered
    assert (decision.decision, decision.faq_id) == ("answer", "passport-lost-abroad")


@pytest.mark.parametrize("size", [0, 1])
def test_an_empty_or_one_entry_kb_builds(mini_entries: list[FaqEntry], size: int, tmp_path: Path) -> None:
    one = [dataclasses.replace(e, similar=()) for e in mini_entries[:size]]
    matcher = FaqMatcher.build(one, cache_dir=tmp_path)
    assert matcher.calibration.gate_threshold >= CONSERVATIVE_GATE
    # conservative: never answered (a one-entry KB's renewal entry may be offered, as the gate judges it)
    assert matcher.decide("护照丢了").decision in (("handover",) if size == 0 else ("suggest", "handover"))
    stored = list((tmp_path / "calibration").glob("*.json")) if size else []
    assert len(stored) == size  # the empty placeholder KB leaves nothing behind


def test_leaving_out_keeps_the_rest_of_the_index(mini_entries: list[FaqEntry]) -> None:
    index = FaqMatcher.build(mini_entries)._index
    reduced = index.without({0: 1}, {2, 3})
    assert reduced.size == index.size - 2
    assert [e.entry.id for e in reduced.entries] == [e.entry.id for i, e in enumerate(index.entries) if i not in {2, 3}]
    assert len(reduced.entries[0].phrasings) == len(index.entries[0].phrasings) - 1
    assert index.entries[0].phrasings[1] not in reduced.entries[0].phrasings


def test_self_examples_leave_out_phrasings_and_entries(fuqing: list[FaqEntry]) -> None:
    prior = load_calibration()
    examples = self_examples(FaqMatcher.build(fuqing, calibration=prior)._index, prior)
    inside = [e for e in examples if e.in_scope]
    outside = [e for e in examples if not e.in_scope]
    assert len(inside) > 100 and len(outside) > 40
    assert not any(e.right for e in outside)
    assert 0.3 < sum(e.right for e in inside) / len(inside) < 1.0  # a left-out phrasing is not always found


def test_rates_count_right_and_wrong_in_scope_and_answered_left_out_entries() -> None:
    examples = [SelfExample(True, True, 0.95, 0.9)] * 6 + [SelfExample(True, False, 0.85, 0.9)] * 2
    examples += [SelfExample(True, True, 0.5, 0.6)] * 2 + [SelfExample(False, False, 0.9, 0.9)]
    examples += [SelfExample(False, False, 0.1, 0.2)] * 3
    assert rates_at(examples, 0.9) == (0.6, 0.0, 0.25)
    assert rates_at(examples, 0.8) == (0.6, 0.2, 0.25)


def test_calibrate_without_a_cache_directory_fits_in_memory(fuqing: list[FaqEntry]) -> None:
    prior = load_calibration()
    index: KbIndex = FaqMatcher.build(fuqing, calibration=prior)._index
    assert calibrate(index, prior) is calibrate(index, prior)


def test_a_kb_without_any_similar_phrasings_loads_conservatively_with_a_warning(
    fuqing: list[FaqEntry], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Fifty entries with only their questions: no phrasing can be left out of its entry, so nothing to
    learn from. It must still load, warn, keep conservative thresholds and decide."""
    bare = [dataclasses.replace(e, similar=()) for e in fuqing]
    with caplog.at_level(logging.WARNING, logger="faq.kb_calibration"):
        matcher = FaqMatcher.build(bare, cache_dir=tmp_path)
    assert matcher.calibration.note.startswith("conservative")
    assert matcher.calibration.gate_threshold >= CONSERVATIVE_GATE
    assert any("知识库太小" in r.getMessage() and "0 个可留出的相似问" in r.getMessage() for r in caplog.records)
    assert matcher.decide(bare[0].question).decision in ("answer", "suggest")
    assert matcher.decide("今天天气怎么样").decision != "answer"


def test_every_data_file_the_matcher_reads_is_in_the_fingerprint() -> None:
    import re

    import config.settings as settings

    read = set()
    for module in (ROOT / "faq").glob("*.py"):
        for name in re.findall(r"\b([A-Z_]+_PATH)\b", module.read_text(encoding="utf-8")):
            if hasattr(settings, name) and name != "TRADITIONAL_PHRASES_PATH":  # replies' script only
                read.add(getattr(settings, name))
    assert read <= set(kb_calibration.DECISION_DATA), read - set(kb_calibration.DECISION_DATA)


@pytest.mark.parametrize("name", [p.name for p in kb_calibration.DECISION_DATA])
def test_an_edited_data_file_changes_the_fingerprint(
    name: str, fuqing: list[FaqEntry], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = []
    for path in kb_calibration.DECISION_DATA:
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    monkeypatch.setattr(kb_calibration, "DECISION_DATA", tuple(copies))
    index = FaqMatcher.build(fuqing[:5], cache_dir=tmp_path)._index
    prior = load_calibration()
    before = fingerprint(index, prior)
    assert fingerprint(index, prior) == before  # stable while nothing changes
    edited = tmp_path / name
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# a staff edit\n", encoding="utf-8")
    assert fingerprint(index, prior) != before


def test_a_small_kb_read_back_from_the_cache_keeps_its_conservative_story_threshold(
    mini_entries: list[FaqEntry], tmp_path: Path
) -> None:
    """Review: the disk cache stores gate_threshold but not story_gate_threshold, so a second process
    serves stories of a small KB at the prior's story threshold instead of the conservative one."""
    first = FaqMatcher.build(mini_entries, cache_dir=tmp_path).calibration
    assert first.threshold_for(story=True) >= CONSERVATIVE_GATE
    kb_calibration._memory.clear()  # as in another process (or after a restart)
    again = FaqMatcher.build(mini_entries, cache_dir=tmp_path).calibration
    assert again.threshold_for(story=True) == first.threshold_for(story=True)
    assert again == first
