"""The matcher decides the same in every process: nothing it computes may follow PYTHONHASHSEED.

Set and frozenset iteration order changes with the hash seed; a float sum over a set, or a tie between two
candidates broken by the order a dict was filled from a set, then differs between two workers serving the
same KB. Two subprocesses with different seeds must agree on every decision, every candidate and every
probability (to the last bit), and on the per-KB gate fit."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

from faq.kb import load_kb

ROOT = Path(__file__).resolve().parents[2]
# A 50-entry KB written apart from the shipped one (a dev set of the project, not a measuring set).
FUQING_KB = ROOT / "bench" / "data" / "kb_fuqing" / "kb.yaml"

_SCRIPT = """
import json, sys
from faq.kb import load_kb
from faq.matcher import FaqMatcher
matcher = FaqMatcher.build(load_kb(sys.argv[1]), cache_dir=None)
out = {"calibration": [matcher.calibration.gate_threshold, matcher.calibration.note], "decisions": []}
for text in json.loads(sys.stdin.read()):
    why = matcher.explain(text)
    decision = why.decision
    out["decisions"].append([
        text, decision.decision, decision.faq_id, list(decision.suggestions), repr(decision.score),
        [[c.faq_id, repr(c.probability), sorted((k, repr(v)) for k, v in c.features.items())] for c in why.candidates],
        repr(why.gate_probability),
    ])
print(json.dumps(out, ensure_ascii=False))
"""


def _messages() -> list[str]:
    """The KB's own phrasings, each alone and run together with the next (a two-part message), and a few
    written here: short, English, mixed, out of scope."""
    phrasings = [p for entry in load_kb(FUQING_KB)[:20] for p in entry.phrasings()[:1]]
    joined = [f"{a}，还有{b}" for a, b in itertools.pairwise(phrasings)]
    own = ["护照", "签证 怎么办", "how do I renew my passport abroad", "在国外护照丢了", "今天天气怎么样", "我想买房"]
    return [*phrasings, *joined, *own]


def _run(seed: str, messages: list[str]) -> dict[str, object]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(FUQING_KB)],
        input=json.dumps(messages, ensure_ascii=False),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_decisions_do_not_depend_on_the_hash_seed() -> None:
    messages = _messages()
    assert len(messages) >= 40
    first, second = _run("1", messages), _run("2", messages)
    assert first["calibration"] == second["calibration"]
    for a, b in zip(first["decisions"], second["decisions"], strict=True):  # type: ignore[call-overload]
        assert a == b, a[0]
