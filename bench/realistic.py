"""A realistic stream of WeChat callbacks for the webhook benchmark: every message a different one.

The mix (by message; seeded, so every run sends the same stream):

- 84 % questions, in and out of scope, from the four written query sets (tests/data/faq_dev.yaml and the three
  held-out sets: colloquial, short, voice-style, Traditional, English, mixed and out-of-scope messages, about
  15 % out of scope), each made distinct with one of 24 openings/endings ("请问", "你好，", "？", "，谢谢" …), so
  the matcher's decision cache does not answer it; 8 % of these arrive as voice messages with recognition.
  Whatever the matcher cannot answer is handed over (a ticket, or a message added to the user's open one).
- 4 % "人工" followed, as the user's next message, by a question from the same pool (the explicit hand-over).
- 4 % small talk (greetings, thanks, goodbyes, distinct in the same way).
- 4 % pictures, 2 % "菜单", 2 % follows (subscribe events).

Senders are drawn from ``followers`` known followers (a city federation's account: many users, few messages
each).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    ROOT / "tests" / "data" / "faq_dev.yaml",
    ROOT / "bench" / "data" / "faq_holdout.yaml",
    ROOT / "bench" / "data" / "faq_holdout2.yaml",
    ROOT / "bench" / "data" / "faq_holdout3.yaml",
)
OPENINGS = ("", "请问", "你好，", "您好，请问", "麻烦问一下，", "想咨询一下，")
ENDINGS = ("", "？", "，谢谢", "呢")
SMALLTALK = (
    "你好", "您好", "谢谢", "谢谢你", "好的谢谢", "再见", "早上好", "多谢", "hello", "thanks", "拜拜", "晚上好",
)
TALK_OPENINGS = ("", "嗯", "好的，", "哦，", "那", "ok ", "啊", "那个")
TALK_ENDINGS = ("", "！", "~", "啊", "呀", "哈", "。", "!!", "～～", "哦")


@dataclass(frozen=True)
class Message:
    kind: str  # text | voice | image | subscribe
    openid: str
    text: str = ""


def questions() -> list[str]:
    pool: list[str] = []
    for path in SOURCES:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            text = str(item.get("q") or "").strip()
            if text:
                pool.append(text)
    return pool


def _variants(
    base: list[str], openings: tuple[str, ...] = OPENINGS, endings: tuple[str, ...] = ENDINGS
) -> list[str]:
    """Every base message once with each opening and ending: all distinct strings."""
    seen: set[str] = set()
    out: list[str] = []
    for opening in openings:
        for ending in endings:
            for text in base:
                variant = opening + text.rstrip("？?。.!！") + ending if (opening or ending) else text
                if variant not in seen:
                    seen.add(variant)
                    out.append(variant)
    return out


def stream(count: int, followers: int = 5000, seed: int = 20261201) -> list[Message]:
    rng = random.Random(seed)
    texts = _variants(questions())
    rng.shuffle(texts)
    talk = _variants(list(SMALLTALK), TALK_OPENINGS, TALK_ENDINGS)
    rng.shuffle(talk)
    out: list[Message] = []
    used = {"q": 0, "t": 0}

    def take(pool: list[str], name: str) -> str:
        text = pool[used[name] % len(pool)]
        used[name] += 1
        if used[name] > len(pool):  # more messages than distinct texts: say so rather than repeat silently
            raise ValueError(f"only {len(pool)} distinct {name!r} messages; ask for fewer")
        return text

    while len(out) < count:
        openid = f"obench{rng.randrange(followers):06d}"
        roll = rng.random()
        if roll < 0.84:
            kind = "voice" if rng.random() < 0.08 else "text"
            out.append(Message(kind, openid, take(texts, "q")))
        elif roll < 0.88:
            out.append(Message("text", openid, "人工"))
            out.append(Message("text", openid, take(texts, "q")))
        elif roll < 0.92:
            out.append(Message("text", openid, take(talk, "t")))
        elif roll < 0.96:
            out.append(Message("image", openid))
        elif roll < 0.98:
            out.append(Message("text", openid, "菜单"))
        else:
            out.append(Message("subscribe", openid))
    return out[:count]


def distinct_capacity() -> int:
    """How many distinct question texts the mix can send before it would repeat one."""
    return len(_variants(questions()))
