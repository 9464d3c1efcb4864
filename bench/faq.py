"""FAQ matcher scaling benchmark: `python bench/faq.py`.

Builds synthetic KBs of 100, 1,000 and 10,000 entries (the shipped KB plus generated
questions in the same register: place + document/topic + situation + question form),
then prints KB load time, index build time, p50/p99 `decide` latency (first sight of each
message) and the latency of the same messages again (decision-cache hits), for the lexical
matcher and, with --embedding (the optional model installed), with it too (build time with a
cold and a warm embedding cache).  Prints figures only; no assertions.

    python bench/faq.py [--sizes 100,1000,10000] [--embedding]
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

from faq.embedding import load_embedder  # noqa: E402
from faq.evaluation import load_queries, percentile  # noqa: E402
from faq.kb import FaqEntry, dump_kb, load_kb  # noqa: E402
from faq.matcher import FaqMatcher  # noqa: E402

SHIPPED_KB = ROOT / "config" / "faq.yaml"
FALLBACK_KB = ROOT / "tests" / "faq" / "data" / "mini_kb.yaml"
DEV_QUERIES = ROOT / "tests" / "data" / "faq_dev.yaml"

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
QUERY_COUNT = 500


def _question(rng: random.Random) -> str:
    return f"{rng.choice(PLACES)}{rng.choice(SUBJECTS)}{rng.choice(SITUATIONS)}{rng.choice(FORMS)}"


def synthetic_kb(base: list[FaqEntry], size: int, seed: int = 1) -> list[FaqEntry]:
    rng = random.Random(seed)
    entries = list(base[:size])
    seen = {e.question for e in entries}
    number = 0
    while len(entries) < size:
        question = _question(rng)
        if question in seen:
            continue
        seen.add(question)
        number += 1
        similar = tuple(_question(rng) for _ in range(rng.randint(1, 4)))
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


def _queries(rng: random.Random) -> list[str]:
    if DEV_QUERIES.exists():
        texts = [q.q for q in load_queries(DEV_QUERIES)]
    else:
        texts = [_question(rng) for _ in range(QUERY_COUNT)]
    rng.shuffle(texts)
    return texts[:QUERY_COUNT]


def _latencies(matcher: FaqMatcher, queries: list[str]) -> list[float]:
    """Cache misses: every query is new to this matcher (warm-up uses other texts)."""
    for text in queries[:20]:
        matcher.decide(text + "？")
    out = []
    for text in queries:
        start = time.perf_counter()
        matcher.decide(text)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--embedding", action="store_true", help="also measure with the sentence encoder")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    base = load_kb(SHIPPED_KB if SHIPPED_KB.exists() else FALLBACK_KB)
    rng = random.Random(2)
    queries = _queries(rng)
    FaqMatcher.build(base[:5], embedder=None)  # warm up jieba so the first size does not pay its start-up
    start = time.perf_counter()
    embedder = load_embedder() if args.embedding else None
    if embedder is not None:
        print(f"embedding model {embedder.name} loaded in {(time.perf_counter() - start) * 1000:.0f} ms")
    print(f"base KB: {len(base)} entries; {len(queries)} queries per size")
    columns = (
        f"{'load ms':>9} {'build ms':>9} {'rebuild':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        f" {'hit p50 µs':>11} {'hit p99 µs':>11}"
    )
    print(f"{'mode':>9} {'entries':>8} {columns}")
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = Path(tmp) / "faq-cache"
        for size in sizes:
            entries = synthetic_kb(base, size)
            path = Path(tmp) / f"kb_{size}.yaml"
            dump_kb(entries, path)
            start = time.perf_counter()
            loaded = load_kb(path)
            load_ms = (time.perf_counter() - start) * 1000
            for mode, chosen in (("lexical", None), ("embedding", embedder)):
                if mode == "embedding" and chosen is None:
                    continue
                start = time.perf_counter()
                matcher = FaqMatcher.build(loaded, embedder=chosen, cache_dir=cache_dir)
                build_ms = (time.perf_counter() - start) * 1000
                start = time.perf_counter()
                matcher = FaqMatcher.build(loaded, embedder=chosen, cache_dir=cache_dir)  # a KB edit: cache warm
                rebuild_ms = (time.perf_counter() - start) * 1000
                latencies = _latencies(matcher, queries)
                hits = [ms * 1000 for ms in _latencies(matcher, queries)]  # same texts: cache hits
                print(
                    f"{matcher.mode:>9} {size:>8} {load_ms:>9.0f} {build_ms:>9.0f} {rebuild_ms:>8.0f}"
                    f" {percentile(latencies, 0.5):>8.2f} {percentile(latencies, 0.99):>8.2f}"
                    f" {max(latencies):>8.2f} {percentile(hits, 0.5):>11.1f} {percentile(hits, 0.99):>11.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
