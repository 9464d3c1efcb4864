"""Realistic tickets for the console benchmark: what users wrote (the written FAQ query sets, in their
styles: colloquial, multi-part, Traditional, English, mixed, voice), their later additions, the context
before the hand-over, staff notes and answers (the FAQ's answers with a personal opening), made distinct by
names, places, dates and numbers the way real tickets differ.

Deterministic for a seed, so two runs measure the same data.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
QUERY_SETS = [
    "bench/data/faq_holdout.yaml",
    "bench/data/faq_holdout2.yaml",
    "bench/data/faq_holdout3.yaml",
    "bench/data/faq_holdout4.yaml",
    "bench/data/kb_guangdong/messages.yaml",
    "bench/data/kb_fuqing/messages.yaml",
]
CATEGORIES_BY_DEPARTMENT = {
    "liaison": ("热线服务", "生活事务"),
    "rights": ("出入境", "国籍与身份", "法律"),
    "economy": ("投资", "人才与创业"),
    "culture": ("教育",),
    None: ("其他",),
}
STAFF = ("alice", "bob", "carol", "dave", "erin", "frank")
SURNAMES = "陈林黄李王张刘吴郑周叶蔡许谢方余何罗梁胡"
GIVEN = ("建华", "美玲", "志强", "秀英", "国平", "丽娟", "伟", "婷", "家豪", "嘉欣", "德明", "淑芬")
PLACES = (
    "青田",
    "文成",
    "台山",
    "开平",
    "恩平",
    "福清",
    "长乐",
    "晋江",
    "石狮",
    "梅州",
    "潮州",
    "汕头",
    "温州",
    "丽水",
    "厦门",
    "泉州",
    "江门",
    "广州",
    "上海",
    "北京",
)
ABROAD = (
    "马德里",
    "巴塞罗那",
    "米兰",
    "罗马",
    "巴黎",
    "阿姆斯特丹",
    "法兰克福",
    "纽约",
    "旧金山",
    "洛杉矶",
    "温哥华",
    "多伦多",
    "悉尼",
    "墨尔本",
    "新加坡",
    "吉隆坡",
    "雅加达",
    "曼谷",
    "东京",
    "约翰内斯堡",
)
ADDITIONS = (
    "补充一下：我是{year}年出国的，现在在{abroad}。",
    "我的电话是{phone}，白天可以打。",
    "请问材料要公证吗？我在{abroad}，寄回{place}要一个多月。",
    "上次问过一次了，还没有回复，麻烦尽快。",
    "我叫{name}，身份证号后四位{last4}。",
    "孩子今年{age}岁，明年要在{place}上学。",
    "附件是我的护照首页，请查收。",
    "麻烦问一下进度，谢谢！",
    "我家老房子在{place}，{year}年拆迁的时候我们不在国内。",
    "能不能帮忙联系一下{place}侨联？我们{month}月份回去。",
    "I live in {abroad} now, can someone call me back? {phone}",
    "我父親{age}歲了，行動不便，可以委託親戚辦理嗎？",
)
CONTEXT = ("你好", "请问", "在吗", "有人吗？", "我想咨询一个事情", "麻烦问下", "您好，打扰了")
NOTES = (
    "已电话联系用户（{phone}），用户{month}月回{place}，需补充户籍证明。",
    "转{place}侨联核实，等对方回复。",
    "用户情况特殊，已请示主任，按个案处理。",
    "已查询{place}公安局出入境窗口，材料清单已发给用户。",
    "与{name}核对过信息，证件号码无误。",
    "同一用户上周也来问过类似问题，见前一工单。",
    "需{abroad}领馆确认，已发邮件。",
    "用户不接电话，先答复书面意见。",
)
OPENINGS = ("{name}您好：", "您好！", "{name}先生/女士，您好：", "感谢您的来信。")


@dataclass
class Corpus:
    questions: list[str]
    answers: list[str]
    rng: random.Random = field(default_factory=lambda: random.Random(11))

    @classmethod
    def load(cls, seed: int = 11) -> Corpus:
        questions: list[str] = []
        for name in QUERY_SETS:
            for item in yaml.safe_load((ROOT / name).read_text(encoding="utf-8")) or []:
                text = str(item.get("q") or "").strip()
                if text and item.get("style") != "out_of_scope":
                    questions.append(text)
        answers = [str(e["answer"]).strip() for e in yaml.safe_load((ROOT / "config/faq.yaml").read_text("utf-8"))]
        return cls(questions, answers, random.Random(seed))

    def _slots(self) -> dict[str, Any]:
        r = self.rng
        return {
            "name": r.choice(SURNAMES) + r.choice(GIVEN),
            "place": r.choice(PLACES),
            "abroad": r.choice(ABROAD),
            "year": r.randrange(1985, 2026),
            "month": r.randrange(1, 13),
            "age": r.randrange(3, 90),
            "phone": f"+{r.choice((34, 39, 33, 31, 49, 1, 61, 65, 60))} {r.randrange(10**8, 10**9)}",
            "last4": f"{r.randrange(10000):04d}",
        }

    def question(self) -> str:
        """A written question, made this user's own by a detail at the start or the end."""
        r = self.rng
        text = r.choice(self.questions)
        slots = self._slots()
        roll = r.random()
        if roll < 0.35:
            return f"我在{slots['abroad']}，{text}"
        if roll < 0.6:
            return f"{text} 我老家是{slots['place']}的。"
        if roll < 0.75:
            return f"{text}（{slots['name']}，{slots['year']}年出国）"
        return text

    def addition(self) -> str:
        return self.rng.choice(ADDITIONS).format(**self._slots())

    def note(self) -> str:
        return self.rng.choice(NOTES).format(**self._slots())

    def answer(self) -> str:
        return self.rng.choice(OPENINGS).format(**self._slots()) + self.rng.choice(self.answers)

    def context(self) -> str:
        return self.rng.choice(CONTEXT)


@dataclass
class Generated:
    tickets: list[dict[str, Any]]
    messages: list[dict[str, Any]]


def generate(count: int, now: datetime, seed: int = 7, users: int = 30000) -> Iterator[Generated]:
    """Tickets over the last 26 weeks in batches of up to 5,000, with their messages.

    30 % of tickets are open (two thirds of those recent, a third past due), 5 % waiting on the user, the
    rest answered or closed; each has the question, sometimes context before it, 0–4 additions, a note on a
    third, and an answer when answered. Ids are given so messages can name their ticket.
    """
    corpus = Corpus.load(seed + 4)
    rng = random.Random(seed)
    per_day: dict[str, int] = {}
    tickets: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    message_id = 0
    for i in range(1, count + 1):
        created = now - timedelta(minutes=rng.randrange(0, 26 * 7 * 24 * 60))
        roll = rng.random()
        state = "open" if roll < 0.3 else "waiting" if roll < 0.35 else "answered" if roll < 0.75 else "closed"
        if state == "open" and rng.random() < 0.66:
            created = now - timedelta(hours=rng.randrange(1, 40))
        due = created + timedelta(days=rng.choice((2, 3, 4)))
        department = rng.choice(list(CATEGORIES_BY_DEPARTMENT))
        answered = created + timedelta(hours=rng.uniform(0.5, 90)) if state in ("answered", "closed") else None
        day = f"{created:%Y%m%d}"
        per_day[day] = per_day.get(day, 0) + 1
        staff = rng.choice(STAFF)
        ticket: dict[str, Any] = {
            "id": i,
            "number": f"Q{day}-{per_day[day]:04d}",
            # One open ticket per user (the database insists); the others' users come back now and then.
            "openid": f"o_bench_open_{i:06d}" if state == "open" else f"o_bench_{rng.randrange(users):06d}",
            "source_key": f"bench:{i}",
            "state": state,
            "department": department,
            "category": rng.choice(CATEGORIES_BY_DEPARTMENT[department]),
            "question": corpus.question(),
            "script": "hans",
            "assignee": staff if state != "open" or rng.random() < 0.5 else None,
            "created_at": created,
            "due_at": due,
            "due_provisional": False,
            "answer": None,
            "answered_by": None,
            "answered_at": answered,
            "first_answered_at": answered,
            "closed_at": answered + timedelta(days=1) if state == "closed" and answered else None,
            "answer_delivery": "sent" if answered else "none",
            "referral": "consulate" if state == "closed" and rng.random() < 0.08 else None,
            "extension_count": 1 if rng.random() < 0.04 else 0,
            "waited_seconds": 0,
            "rating": rng.choice((1, 1, 1, 2, 2, 3)) if answered and rng.random() < 0.4 else None,
            "rated_at": answered + timedelta(hours=3) if answered else None,
            "reopen_count": 0,
            "version": 1,
        }
        if ticket["rating"] is None:
            ticket["rated_at"] = None
        if state == "waiting":
            ticket["waiting_since"] = created + timedelta(hours=5)
            ticket["waiting_left_seconds"] = 3600 * 8
        at = created

        def add(kind: str, author: str, body: str, ticket_id: int = i, into: list[dict[str, Any]] = messages) -> None:
            nonlocal message_id, at
            message_id += 1
            at = at + timedelta(minutes=rng.randrange(1, 600))
            row = {"id": message_id, "ticket_id": ticket_id, "kind": kind, "author": author, "body": body}
            into.append({**row, "created_at": at})

        if rng.random() < 0.3:
            at = created - timedelta(minutes=5)
            add("context", ticket["openid"], corpus.context())
            at = created
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 4))):
            add("user", ticket["openid"], corpus.addition())
        if rng.random() < 0.35:
            add("note", staff, corpus.note())
        if answered:
            ticket["answer"] = corpus.answer()
            ticket["answered_by"] = staff
            add("answer", staff, ticket["answer"])
        tickets.append(ticket)
        if len(tickets) >= 5000:
            yield Generated(tickets, messages)
            tickets, messages = [], []
    if tickets:
        yield Generated(tickets, messages)
