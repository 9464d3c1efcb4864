"""KB check (``faq lint`` and the publish check) timing: `python bench/kb_check.py [--sizes 68,1000,5000]`.

Uses bench/faq.py's synthetic KBs (the shipped KB plus generated entries). Prints, per size, the full check
(every phrasing through the matcher, as ``qiaobot faq lint`` does) and the publish check of one changed
entry (``focus``: its phrasings and those of the entries the matcher confuses it with), and how many
findings each reported. Prints figures only; no assertions.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from faq import FaqEntry, load_kb  # noqa: E402
from faq.matcher import FaqMatcher  # noqa: E402
from knowledge.lint import check_kb  # noqa: E402
from knowledge.menu import menu_categories  # noqa: E402


def _synthetic_kb() -> Callable[[list[FaqEntry], int], list[FaqEntry]]:
    """bench/faq.py's generator (loaded by path: as a module its name would shadow the faq package)."""
    spec = importlib.util.spec_from_file_location("faq_scaling_bench", ROOT / "bench" / "faq.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.synthetic_kb  # type: ignore[no-any-return]


def main() -> None:
    synthetic_kb = _synthetic_kb()

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="68,1000,5000")
    args = parser.parse_args()
    base = load_kb(ROOT / "config" / "faq.yaml")
    menu = menu_categories()
    header = ("entries", "phrasings", "build s", "full check s", "findings", "publish check s")
    print("".join(f"{name:>17}" for name in header))
    for size in (int(s) for s in args.sizes.split(",")):
        entries = synthetic_kb(base, size) if size > len(base) else base[:size]
        phrasings = sum(len(e.phrasings()) for e in entries)
        start = time.perf_counter()
        matcher = FaqMatcher.build(entries, embedder=None)
        built = time.perf_counter() - start
        start = time.perf_counter()
        full = check_kb(entries, menu, matcher)
        full_s = time.perf_counter() - start
        fresh = FaqMatcher.build(entries, embedder=None)  # a cold decision cache, as after a real publish
        start = time.perf_counter()
        check_kb(entries, menu, fresh, focus={entries[0].id})
        focus_s = time.perf_counter() - start
        print(f"{size:>17}{phrasings:>17}{built:>17.2f}{full_s:>17.2f}{len(full):>17}{focus_s:>17.2f}")


if __name__ == "__main__":
    main()
