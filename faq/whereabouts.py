"""Where the user is while asking: in China, or abroad.

Near-twin entries differ by exactly this: a passport renewed "在国外" or "回国期间在国内", a passport lost abroad
or at home, a document sent from China or brought to it. A story names several places ("我在西班牙住了二十年，
这次回青田过年，护照到期了，在这边能办吗"), and the question's place is not the first one named but where the
story has taken the user by the time they ask. The rule, over concepts (#abroad, #domestic, #return) and a few
marker words, reads the places in order and keeps the last that says where the user *is*:

- presence: 在 / 人在 / 住在 / 来到 / in / at … before a place: the user is there ("人在国外", "在国内");
  with 不 before it ("人不在国内"), the user is on the other side;
- a move: 回 / 返 / 来 / 到 / 去 / 飞 / back to … before a place, or a return word (回国, 回来, come back):
  the user is now where the move leads, unless a plan marker (下个月, 准备, 打算, 要, next month, will …)
  comes before it in the same clause, in which case the move has not happened and the user is still on
  the other side ("下周要回意大利" → in China; "下个月要回国" → abroad); so does a move the user must still make
  (还得, "have to") or one dated by a day ahead or the month's end (下礼拜四, 月底), and an English move in an
  infinitive ("a document to go home to China");
- a move in a clause dated after the asked act (faq.time_clause LATER: "去美国前要办中国护照吗", "回国之前",
  "先在国内办好护照再去美国") is still ahead, as a planned one is: the user is on the other side; so is leaving
  China (#exit, no place named: "出国前护照过期了"), read as a move abroad only there;
- "回去", "go back" and "fly back" without a place say nothing: which way is back depends on who speaks;
- in English a place governed by someone else ("my uncle in Malaysia", "my mother, who lives in Fuqing",
  "my son is starting at a university in Melbourne") says where that person is, not the user: the nearest
  person before the marker decides, unless the user is the one visiting or staying with them ("visiting
  family in Xiamen", "staying with my parents in Fuqing");
- in English, where the user lives ("I live in Manila", "settled in Japan") does not override a present stay
  read before it ("visiting family in Xiamen", "back in Quanzhou for three months"): a story says where it
  happened and then where the user is from;
- every reading has a strength (`_strength`), and a later reading replaces an earlier one only when it is at
  least as strong: NOW for a place said in the present or a completed move (现在 / 目前 / 这次 / 人在 / 已经 … before
  it, 了 closing the move: "这次回厦门", "我人在Paris", "回文成常住了"), ASKED for a presence in the clause that
  asks ("在这边能换吗"), PLAIN for the rest, BACKGROUND for where the user lives, lived or was told about (住 / 定居
  / 工作 after the place, 以前 / 原来 / 听说 / 如果 before it: "在雅加达住了十几年", "听说在国外换要等好久"). So "这次
  回厦门…听说在国外换要等好久…" stays in China, and "我现在在厦门…会不会耽误我回英国" is not read as a move abroad;
- a move followed by a modal ("回来还能换吗", "回国要带什么") is asked about, not made, unless said in the present;
  a negation before the move ("不用再回美國領館") makes it none, however far the place stands from the negation.

A reading of strength ASKED or NOW is sure (`Analysis.whereabouts_sure`): between near twins it then compares
only what the question itself names (faq.analysis `Analyzer.topic_concepts`), not the story's past clauses nor a
bare how or apply.

The same rule reads the KB's phrasings, so an entry's own wording says where it applies; faq.features
counts agreement only for entries whose wording says so (the others are neither helped nor hurt). An
entry's side is what most of its phrasings say (one "能办旅行证回国吗" among phrasings set abroad does not
make an entry about being in China).

When the first candidate agrees with where the user is and its near twin applies only on the other side
(`twin_ruled_out`), the message rules the twin out: faq.matcher gives the first the twin's probability and the gate
does not weigh the first against it.

faq.matcher applies the same twin rule (`twin_to_lead`) to the money's way (faq.flow) and to the nationality a
message states (faq.status_cues.nationality_of). For an English message it compares the twins on their
Chinese phrasings alone (faq.index.in_chinese): a twin with an English 相似问 would otherwise lead by its
language, too far for where the user is to decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from faq.time_clause import LATER

CHINA = "china"
ABROAD = "abroad"
SIDES = (CHINA, ABROAD)

_ABROAD = "#abroad"
_DOMESTIC = "#domestic"
_RETURN = "#return"
_EXIT = "#exit"  # leaving China (出国, 出境): a move abroad without a named place
_PRESENCE = frozenset(
    {
        "在",
        "人在",
        "身在",
        "住在",
        "待在",
        "呆在",
        "留在",
        "到了",
        "来到",
        "喺",
        "人喺",
        "in",
        "at",
        "living",
        "live",
        "staying",
    }
)
_MOVE = frozenset(
    {"回", "返", "回到", "返回", "来", "到", "去", "飞", "飞回", "去到", "前往", "搬到", "搬回", "to", "back"}
    # "currently visiting Chengdu" is there now; "planning on visiting Chengdu" is read as a plan below
    | {"visiting", "visit", "touring"}
)
# Return words that do not say which way: back to wherever the speaker came from.
_UNDIRECTED_RETURN = frozenset(
    {"回去", "go back", "return", "返", "back", "fly back", "head back", "get back"}
    # the same in the forms a story uses them ("before flying back", "when I go back"): the place, if any, comes
    # as a separate word and is read on its own
    | {"going back", "goes back", "went back", "flying back", "flies back", "flew back", "heading back",
       "heads back", "headed back", "getting back", "returning", "returns"}
)
# English says where the user lives ("I live in Manila") apart from where they are now ("visiting family in
# Xiamen", "back in Quanzhou for three months"): a residence does not override a present stay read before it.
_RESIDENCE = frozenset({"live", "lives", "living", "reside", "resides", "residing", "settled", "based"})
# "下礼拜四回悉尼", "下周五飞米兰": a day ahead dates the move like 下周 does. They are words of the tokenizer too
# (faq.analysis): without them a high-weighted lexicon word beside them wins the cut ("下礼拜|四回|悉尼").
_DAYS_AHEAD = frozenset(f"{week}{day}" for week in ("下周", "下礼拜", "下星期") for day in "一二三四五六日天末")
TOKENIZER_WORDS: frozenset[str] = _DAYS_AHEAD
_PLAN = frozenset(
    {
        "下个月",
        "下月",
        "下周",
        "下星期",
        "下礼拜",
        "明年",
        "下次",
        "过几天",
        "过两天",
        "准备",
        "打算",
        "计划",
        "想",
        "要",
        "将",
        "快要",
        "即将",
        "马上",
        "等",
        "年底",
        "明天",
        "后天",
        "飞机",
        "机票",
        "航班",
        "还是",
        "能",
        "可以",
        "才能",
        "怎么",
        "如何",
        "需要",
        "can",
        "how",
        "need",
        "或者",
        "or",
        "before",
        "will",
        "plan",
        "planning",
        "going",
        "want",
        "wants",
        "plans",
        "intend",
        "intends",
        "hope",
        "hopes",
        "hoping",
        "would",
        "next",
        "supposed",
        "scheduled",
        "due",
        "booked",
        "flight",
        "ticket",
        "leaving",
        "flying",
    }
    # "月底还得回悉尼上班", "我得回澳洲了": a move the user must still make, or dated ahead, has not been made
    | {"还得", "月底", "月初", "年初", "年后", "节后", "过完年", "周末", "回头"}
    | _DAYS_AHEAD
)
# After a move these date it later: "回泰国的机票是下周的", "回去的航班在明天".
_LATER = frozenset(
    {
        "机票",
        "航班",
        "飞机",
        "下周",
        "下个月",
        "下月",
        "明天",
        "后天",
        "明年",
        "过几天",
        "下星期",
        "下礼拜",
        "月底",
    }
    | _DAYS_AHEAD
)
# "Do I have to go back to China to renew it?": a move the user must make is still ahead, as a planned one
_MUST = frozenset({"have", "has"})
# English verbs of a move, whose infinitive ("to go home", "to fly back", "to return to China") is a move not made
_ENGLISH_MOVES = frozenset({"go", "come", "return", "fly", "move", "travel", "head", "get", "visit", "bring", "take"})
_NEGATION = frozenset({"不", "没", "唔", "not"})
# Right after a move, these make it one asked about or supposed, not made: "回来还能换吗", "回国要带什么", "回国的话".
_HYPOTHETICAL_AFTER = frozenset({"能", "还能", "可以", "能不能", "可不可以", "要", "需要", "得", "的话"})
# How sure a reading is of where the user is *now*. A story says where the user lived or used to be, and where
# they are this time; a reading replaces an earlier one only when it is at least as sure:
# - NOW: a present-time or completion marker stands before the place ("现在在厦门", "这次回厦门", "人在国外",
#   "已经回国"), or 了 closes the move ("回厦门了");
# - ASKED: a presence in the clause that asks ("在这边能换吗", "请问在国内挂失要去哪里"): where the question is asked
#   from, unless the story said otherwise in the present ("我人在巴黎…在国内要找谁办": where the act happens);
# - PLAIN: a presence or a move with neither;
# - BACKGROUND: where the user lives, lived or used to be ("在雅加达住了十几年", "以前在国外", "在意大利住的时候"),
#   or what someone said or a supposed case ("听说在国外换要等好久", "如果在国外"): it says where the story is set
#   but not where the question is asked from.
BACKGROUND, PLAIN, ASKED, NOW = 0, 1, 2, 3
_NOW = frozenset(
    {"现在", "目前", "这次", "此刻", "眼下", "如今", "当下", "这趟", "这回", "正在", "人在", "身在", "人喺"}
    | {"已经", "已", "刚", "刚刚", "now", "currently", "presently"}
)
_PAST = frozenset(
    {"以前", "之前", "原来", "原先", "曾经", "曾", "当年", "早年", "从前", "那时", "那时候", "小时候", "过去"}
    | {"听说", "据说", "听人说", "如果", "要是", "假如", "万一", "used", "previously", "formerly"}
)
# After a presence, these make it where the user lives (or lived), not necessarily where they are now.
_DWELL_AFTER = frozenset({"住", "住了", "居住", "生活", "定居", "长住", "长居", "久居", "工作", "读书", "打工"})
_DONE_AFTER = frozenset({"了"})
_PERSON = "人"  # "我人在巴黎": jieba cuts 人 from 在
_DWELL_REACH = 2
# Who an English marker's place belongs to: the nearest person before it, the user or someone else.
_SELF = frozenset({"i", "we", "me", "us", "myself", "ourselves"})
_OTHERS = frozenset({"he", "she", "they", "who", "him", "them", "whose"})
_PEOPLE = frozenset({"#parent", "#child", "#spouse", "#relatives", "#grandchildren", "#people"})
# Right before the person, these make the user the one who is there: "visiting family in", "with my son in".
_ACCOMPANIED = frozenset({"with", "visiting", "visit", "see", "seeing", "join", "joining"})
_SUBJECT_REACH = 3
# How far back (in tokens of the same clause) a marker still governs a place.
_MARKER_REACH = 2
_PLAN_REACH = 6


def side_of(concepts: frozenset[str]) -> str | None:
    """CHINA or ABROAD for a place's concepts (China's wins when a unit carries both), None for no place."""
    if _DOMESTIC in concepts:
        return CHINA
    if _ABROAD in concepts:
        return ABROAD
    return None


def other_side(side: str) -> str:
    return ABROAD if side == CHINA else CHINA


def entry_sides(said: Sequence[str | None], sides: Sequence[str] = SIDES) -> frozenset[str]:
    """The side(s) most of an entry's phrasings name (both on a tie); empty when none names one. `sides`: the
    two sides read (where the user is, by default; a nationality, faq.status_cues.nationality_of)."""
    counts = {side: sum(1 for s in said if s == side) for side in sides}
    most = max(counts.values())
    return frozenset(side for side, n in counts.items() if n == most and n > 0)


def _someone_elses(tokens: Sequence[tuple[str, frozenset[str], int]], i: int) -> bool:
    """Whether the English marker at tokens[i] places someone other than the user: the nearest person word
    before it in the clause is a third person or a relative ("my uncle in", "who lives in") whom the user is
    not visiting or accompanying."""
    clause = tokens[i][2]
    start = max(0, i - _SUBJECT_REACH)
    for j in range(i - 1, start - 1, -1):
        token, concepts, c = tokens[j]
        if c != clause:
            return False
        if token in _SELF:
            return False
        if token in _OTHERS or _PEOPLE & concepts:
            before = [(t, k) for t, k, c2 in tokens[max(0, j - 3) : j] if c2 == clause]
            return not any(t in _ACCOMPANIED or "#visit" in k for t, k in before)
    return False


def _strength(tokens: Sequence[tuple[str, frozenset[str], int]], i: int, marker: int, move: bool = False) -> int:
    """How sure the reading of the place at tokens[i] (its marker at tokens[marker]) is of where the user is now:
    NOW, PLAIN or BACKGROUND (see their definition)."""
    clause = tokens[i][2]
    window = [t for t, _, c in tokens[max(0, marker - _PLAN_REACH) : marker + 1] if c == clause]
    after = [t for t, _, c in tokens[i + 1 : i + 1 + _DWELL_REACH] if c == clause]
    if (
        any(t in _NOW for t in window)
        or (marker and tokens[marker - 1][0] == _PERSON and tokens[marker - 1][2] == clause)  # 人 在
        or (move and marker < i and any(t in _DONE_AFTER for t in after))
    ):
        return NOW
    if any(t in _PAST for t in window) or any(t in _DWELL_AFTER for t in after):
        return BACKGROUND
    return PLAIN


def _marker_at(tokens: Sequence[tuple[str, frozenset[str], int]], i: int, words: frozenset[str]) -> int:
    """The position of the nearest marker of `words` before tokens[i] in its clause (i itself for a place that
    holds its marker, "back in china")."""
    clause = tokens[i][2]
    for j in range(i - 1, max(-1, i - 1 - _MARKER_REACH), -1):
        if tokens[j][2] != clause:
            break
        if tokens[j][0] in words:
            return j
    return i


def whereabouts(tokens: Sequence[tuple[str, frozenset[str], int]]) -> str | None:
    """CHINA, ABROAD or None, from (token, its concepts, clause number) in reading order."""
    return whereabouts_reading(tokens)[0]


def whereabouts_reading(
    tokens: Sequence[tuple[str, frozenset[str], int]],
    asking: frozenset[int] = frozenset(),
    timing: Sequence[str | None] = (),
) -> tuple[str | None, int]:
    """Where the user is (CHINA, ABROAD or None) and how sure the reading is (NOW, PLAIN, BACKGROUND), from
    (token, its concepts, clause number) in reading order. A presence in one of the `asking` clauses ("在这边能换
    吗", "请问在国内挂失要去哪里") is where the question is asked from (ASKED). `timing`: each token's time clause
    (faq.time_clause EARLIER, LATER or None); a move in a LATER one ("去美国前…", "回国之前…", "先办好护照再去美国")
    is still ahead, like a planned one: the user is on the other side."""
    state: str | None = None
    sure = BACKGROUND  # how sure the state is (_strength); a reading replaces it only when at least as sure
    present = False  # state was read from a present stay or a move, not from where the user lives
    for i, (token, concepts, clause) in enumerate(tokens):
        before = [t for t, _, c in tokens[max(0, i - _MARKER_REACH) : i] if c == clause]
        side = side_of(concepts)
        moving = False
        if side is not None and token.isascii() and _someone_elses(tokens, i):
            continue  # "my uncle in Malaysia": where someone else is
        if side is not None:
            # "在国内" / "回青田": the marker stands right before the place (one word may sit between);
            # an English place may hold its marker ("renew it in china" is read as one form)
            before = before + token.split()[:-1]
            if any(t in _MOVE for t in before):
                moving = True
            elif any(t in _PRESENCE for t in before):
                residence = any(t in _RESIDENCE for t in before)
                if residence and present and state is not None:
                    continue
                strength = _strength(tokens, i, _marker_at(tokens, i, _PRESENCE))
                if strength == PLAIN and clause in asking:
                    strength = ASKED
                if state is not None and strength < sure:
                    continue
                negated = any(t in _NEGATION for t in before)
                state = other_side(side) if negated else side
                present = not residence
                sure = strength
                continue
            else:
                continue
        elif _RETURN in concepts and token not in _UNDIRECTED_RETURN:
            side, moving = CHINA, True
        elif _EXIT in concepts and i < len(timing) and timing[i] == LATER:
            # "出国前护照过期了": leaving China still ahead, like "去美国前": the user is in China now. Elsewhere
            # an exit says too little of where the user is ("出国需要什么手续" may be asked from either side)
            side, moving = ABROAD, True
        if not moving or side is None:
            continue
        marker = _marker_at(tokens, i, _MOVE)
        plan_window = [t for t, _, c in tokens[max(0, i - _PLAN_REACH) : i] if c == clause]
        negation_window = [t for t, _, c in tokens[max(0, marker - 2) : marker] if c == clause]
        after = [t for t, _, c in tokens[i + 1 : i + 1 + _PLAN_REACH] if c == clause]
        if any(t in _NEGATION or t.startswith(("不", "唔", "没")) for t in negation_window):
            continue  # "不想回去", "唔想飞返大陆", "不用再回美国领馆": a move that will not happen says nothing
        strength = _strength(tokens, i, marker, move=True)
        planned = (
            (i < len(timing) and timing[i] == LATER)
            or any(t in _PLAN for t in plan_window)
            or any(a in _MUST and b == "to" for a, b in pairwise(plan_window))
            # "how do I get a document to go home to China": a move in an infinitive is one still to be made
            or any(a == "to" and b.split()[0] in _ENGLISH_MOVES for a, b in pairwise([*plan_window, token]))
            or any(t in _LATER for t in after)
            # "回来还能换吗": a move asked about, unless the story says it is this one ("这次回厦门能不能换")
            or (strength < NOW and any(t in _HYPOTHETICAL_AFTER for t in after[:2]))
        )
        strength = min(strength, PLAIN) if planned else strength
        if state is not None and strength < sure:
            continue
        state = other_side(side) if planned else side
        sure = strength
        present = True
    return state, sure


# Two entries are near twins when most of the concepts of the smaller one are the other's too
# (passport renewal at home vs abroad: 0.5; passport renewal vs a bank account: 0.3).
TWIN_OVERLAP = 0.5
# Only this far down the ranking is a twin looked for.
TWIN_REACH = 3


def twins(first: frozenset[str], other: frozenset[str]) -> bool:
    """Whether two entries' concept sets make them near twins."""
    smaller = min(len(first), len(other))
    return smaller > 0 and len(first & other) / smaller >= TWIN_OVERLAP


# ... and only one whose probability is at least this share of the first's. Where the user says they are is the
# stronger signal: a twin that shares the first's topic concepts (twin_to_lead) but scores lower because the
# first's wording carries the message's other words ("在国外…使馆", a location the message denies) still leads.
# 0.2 kept six dev messages of that kind on the wrong twin (0.135 against 0.678, "visiting family in Xiamen").
TWIN_SCORE_SHARE = 0.1
# When the message says surely where the user is (Analysis.whereabouts_sure: 现在 / 这次 / 人在 before the place,
# or a presence in the asking clause), a twin that agrees is looked for down to this share of the first. Such a
# twin is "contested" (faq.matcher): the best entry won on the story's other words ("我在加拿大住了十几年…现在回
# 福州…护照下个月就到期了，能不能在福州这边弄本新的": renewal abroad at 0.71, at home 0.014), the place the user
# states says the twin. Neither is answered: both are offered, the twin first.
TWIN_SCORE_SHARE_SURE = 0.01
# A twin that leads takes the first's probability only from this share of it; below, it leads with its own, so
# the gate judges it on its own strength (a twin at a tenth of the first is offered first, not answered: "我人在
# 美国，领事认证 公证 流程" would otherwise answer power-of-attorney, p 0.106, at the notarisation entry's 0.991).
TWIN_SCORE_TAKEOVER = 0.2


def twin_to_lead(
    asked: str | None,
    sides: Sequence[frozenset[str]],
    concepts: Sequence[frozenset[str]],
    scores: Sequence[float],
    topic: frozenset[str] = frozenset(),
    share: float = TWIN_SCORE_SHARE,
) -> int:
    """Which of the ranked candidates should lead: 0, unless the first one's wording places the user only
    on the other side of where the message says they are and a near twin among the next ones places them
    only where the message does ("这次回青田过年，护照到期了，在丽水能办吗": the passport renewed at home, not
    abroad). One set on both sides is no twin of either (a business visa, asked for from abroad or in China, is
    not the twin of a family visit's visa). A twin knows every concept of the message's `topic` that the first
    one knows, and scores at least `share` of the first. Candidates are given best first, with their entries'
    sides, concepts and scores."""
    if asked is None or not sides or not sides[0] or asked in sides[0]:
        return 0
    shared = topic & concepts[0]
    for j in range(1, min(TWIN_REACH, len(sides))):
        if (
            sides[j] == {asked}
            and twins(concepts[0], concepts[j])
            and shared <= concepts[j]
            and scores[j] >= share * scores[0]
        ):
            return j
    return 0


# A first entry that takes its ruled-out twin's probability (faq.matcher) stays below certainty.
TWIN_FOLD_CAP = 0.999


def twin_ruled_out(
    asked: str | None,
    sides: Sequence[frozenset[str]],
    concepts: Sequence[frozenset[str]],
    topic: frozenset[str] = frozenset(),
) -> int:
    """The position of a near twin among the next candidates that the message rules out, 0 for none: the first
    one's wording places the user only where the message does ("回老家…护照不见了…月底还得回悉尼": lost at home), a
    twin's only on the other side (lost abroad), and it knows the message's topic concepts that the first does.
    Without a twin the two would split what the message asks between them, and neither would seem sure enough to
    answer. `asked` and `sides` as for twin_to_lead, any two-sided reading (a nationality, the money's way)."""
    if asked is None or not sides or sides[0] != {asked}:
        return 0
    shared = topic & concepts[0]
    for j in range(1, min(TWIN_REACH, len(sides))):
        if len(sides[j]) == 1 and asked not in sides[j] and twins(concepts[0], concepts[j]) and shared <= concepts[j]:
            return j
    return 0
