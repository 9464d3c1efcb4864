"""Requests the hotline does not serve (config/out_of_scope_intents.yaml) are never answered from the KB, even
in a KB topic's words; a message that also asks a real KB question still gets that answer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from config.settings import CONFIG_DIR
from faq.kb import FaqEntry, load_kb
from faq.matcher import FaqMatcher
from faq.out_of_scope import OutOfScopeDataError, OutOfScopeIntents, load_out_of_scope, out_of_scope_intents


@pytest.fixture(scope="module")
def intents() -> OutOfScopeIntents:
    return out_of_scope_intents()


@pytest.fixture(scope="module")
def shipped() -> FaqMatcher:
    return FaqMatcher.build(load_kb(CONFIG_DIR / "faq.yaml"))


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("现在英镑兑人民币汇率多少", "live_rate"),
        ("今日港幣匯率是多少？", "live_rate"),  # Traditional is read in Simplified
        ("500欧元能换多少人民币", "money_conversion"),
        ("中国护照世界排名第几", "ranking"),
        ("持中国护照免签的国家有多少个", "ranking"),
        ("附近有没有便利店", "nearby_place"),
        ("离我最近的药房在哪", "nearby_place"),
        ("孩子咳嗽三天了要不要去医院", "medical_advice"),
        ("今年的灯会是几号", "event_date"),
        ("我的航班会不会延误", "flight_status"),  # a delay is flight_status's (live_status's 会不会延误 is gone)
        ("我寄的快递到哪了", "live_status"),
        ("Where is my parcel now?", "live_status"),
        ("回国的机票怎么改签", "ticket_booking"),
        ("Is my flight delayed?", "flight_status"),
        ("is the train to Milan on time?", "flight_status"),
        ("個女發燒，使唔使去醫院？", "medical_advice"),  # Cantonese, in Traditional
        ("spotify的会员怎么取消自动续费", "app_account"),
        ("黄金明天会涨吗", "live_price"),
        ("伦敦这周末会不会下雪", "weather"),
        ("125乘以36是多少", "arithmetic"),
        ("3加上5等于多少", "sum"),
        ("What does 12 times 13 equal?", "sum"),
        ("明天北京下雨吗", "weather"),
        ("帮我写一首中秋的诗", "writing_translation"),
    ],
)
def test_a_request_the_hotline_does_not_serve_is_recognised(intents: OutOfScopeIntents, text: str, intent: str) -> None:
    found = intents.find(text)
    assert found is not None and found.intent == intent
    assert found.rest is None


@pytest.mark.parametrize(
    "text",
    [
        "个人每年购汇额度是多少，汇率按什么算",  # a quota question, not today's rate
        "一年能换多少美元",  # one currency: the yearly quota, not a sum to convert
        "Is there a yearly limit on how much RMB I can convert to US dollars?",
        "最近的中国领事馆在哪里",  # 最近 + a consulate: the KB's question
        "回国期间孩子发烧了，医保能报销吗",  # 发烧 + 医保: the insurance question
        "因为航班延误签证过期了怎么办",  # a delay told as the story, the overstay asked
        "机票订好了，护照快过期了",  # a booking told, not asked for
        "侨联的联欢晚会什么时候报名",  # the federation's own event
        "淘宝上有人仿冒我们的牌子，怎么维权",  # a trademark question about what is sold there
        "外籍华人能不能买A股",  # an investment rule, not a forecast
        "台风天航班取消了，签证快到期了怎么办",  # the weather is the story
        "出生证明要帮我翻译成中文再公证吗",  # a document's translation for a procedure
        "春节期间你们上班吗",  # the hotline's own hours
        "拿外国护照在国内怎么买火车票",  # which document buys the ticket
        "My flight was delayed so my visa expired, what should I do?",  # the delay is the story
        "Are there gatherings for overseas Chinese when I'm back for Spring Festival?",  # a KB phrasing
    ],
)
def test_kb_questions_with_the_same_words_are_left_alone(intents: OutOfScopeIntents, text: str) -> None:
    assert intents.find(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "护照加上户口本就够了吗？",  # 加上 lists documents; a sum needs 等于
        "户口本加上身份证可以办吗？",
        "How many times can I enter China on an L visa?",  # times counts entries
        "How many times do I need to go to the consulate?",
        "我的护照到了吗？",  # 到了吗 of a passport, not a parcel
        "我的证件寄到了吗？",
        "我的工单号是多少？",  # 单号 of a ticket
        "材料已寄出，单号SF1234567890",  # a tracking number told to staff
        "我寄给你们的快递到了吗？",  # a parcel sent to the federation: staff can look
        "国庆节期间办护照需要多长时间？",  # a holiday and 时间, but a procedure asked
        "春节回国需要隔离多长时间？",
        "春节期间什么时候可以办护照？",
        "回国入境要测温度吗？",  # 温度 of a body, not the weather
        "离家最近的医院能用医保报销吗？",  # what a hospital accepts
        "附近哪家医院可以做签证体检？",  # a check a procedure needs
        "需要写个情况说明吗？",  # a document a procedure needs
        "能帮我起诉他吗？",  # 帮我起 is not 帮我起名
        "我的签证会不会延误？",  # no flight or train
    ],
)
def test_ordinary_questions_with_a_dropped_single_cue_are_not_out_of_scope(
    intents: OutOfScopeIntents, text: str
) -> None:
    """The reviewer's list: each once matched on one everyday word (加上, times, 到了吗, 单号, 时间, 温度, 写个 …)."""
    assert intents.find(text) is None


def test_a_message_that_also_asks_a_kb_question_keeps_that_question(intents: OutOfScopeIntents) -> None:
    found = intents.find("我想从国外汇钱回国，今天汇率多少？个人每年结汇额度是多少？")
    assert found is not None and found.intent == "live_rate"
    assert found.rest == "我想从国外汇钱回国，个人每年结汇额度是多少？"
    # a clause that only tells the story asks nothing else
    told = intents.find("孩子咳嗽三天了要不要去医院？我们在国外")
    assert told is not None and told.rest is None


def test_a_question_leaning_on_the_clause_before_it_is_read_with_it(intents: OutOfScopeIntents) -> None:
    found = intents.find("孩子咳嗽好几天了，吃什么药好？")
    assert found is not None and found.intent == "medical_advice" and found.rest is None
    # a question that asks about something else stays the message's own
    assert intents.find("孩子咳嗽好几天了，回国看病医保能报销吗？") is None


def test_a_clause_that_neither_asks_nor_ends_the_message_is_not_a_request(intents: OutOfScopeIntents) -> None:
    assert intents.find("附近药店都关门了，护照丢了怎么办") is None
    assert intents.find("护照丢了，附近有没有药店") is not None


def test_the_reply_says_what_the_hotline_cannot_do(intents: OutOfScopeIntents) -> None:
    reply = intents.reply("live_rate")
    assert "汇率" in reply and "\n" not in reply and " " not in reply  # one line, no folding gaps
    assert intents.reply("no_such_intent") == intents.default_reply


def test_not_answered_though_the_gate_would(shipped: FaqMatcher) -> None:
    # a gate that answers from 0.5: the intent, not the fitted threshold, must keep this from an answer
    lenient = FaqMatcher(shipped.index, dataclasses.replace(shipped.calibration, gate_threshold=0.5))
    why = lenient.explain("孩子咳嗽三天了要不要去医院")
    assert why.gate_probability is not None and why.gate_threshold is not None
    assert why.gate_probability >= why.gate_threshold  # the gate alone answers it with medical-insurance
    decision = why.decision
    assert decision is not None and decision.decision != "answer"
    assert decision.out_of_scope == "medical_advice"
    assert "medical_advice" in why.reason


def test_choices_beside_it_only_when_the_gate_finds_the_message_kb_like(shipped: FaqMatcher) -> None:
    rate = shipped.explain("今天美元兑人民币汇率多少")
    assert rate.decision is not None and rate.decision.decision == "suggest"
    assert rate.decision.suggestions[:1] == ("foreign-exchange",)  # the forex rules are worth a look
    hotel = shipped.explain("领事馆附近有没有酒店")
    assert hotel.gate_probability is not None and hotel.gate_probability < 0.2
    assert hotel.decision is not None and hotel.decision.decision == "handover"  # no consulate entry beside it
    assert hotel.decision.out_of_scope == "nearby_place"


def test_the_kb_question_beside_it_is_still_answered(shipped: FaqMatcher) -> None:
    decision = shipped.decide("我想从国外汇钱回国，今天汇率多少？个人每年结汇额度是多少？")
    assert decision.decision == "answer" and decision.faq_id == "foreign-exchange"
    assert decision.out_of_scope is None
    why = shipped.explain("我想从国外汇钱回国，今天汇率多少？个人每年结汇额度是多少？")
    assert why.candidates and why.candidates[0].faq_id == "foreign-exchange"  # the rest's reading
    assert "live_rate" in why.reason and "我想从国外汇钱回国，个人每年结汇额度是多少？" in why.reason
    # with nothing else asked, the rate question alone is not answered
    alone = shipped.decide("我想从国外汇钱回国，今天汇率多少？")
    assert alone.decision != "answer" and alone.out_of_scope == "live_rate"


def test_the_rest_must_name_a_topic_to_be_answered_alone(shipped: FaqMatcher) -> None:
    # "会不会崩" asks about the coin; alone it names nothing the KB could answer
    decision = shipped.decide("比特币现在还能买吗，会不会崩？")
    assert decision.decision != "answer" and decision.out_of_scope == "live_price"


def test_in_scope_questions_with_those_words_are_answered(shipped: FaqMatcher) -> None:
    insurance = shipped.decide("回国探亲期间孩子发烧了，医保能报销吗")
    assert insurance.decision == "answer" and insurance.faq_id == "medical-insurance"


def test_an_intent_the_kb_answers_itself_is_not_out_of_scope(intents: OutOfScopeIntents, mini_entries) -> None:  # type: ignore[no-untyped-def]
    assert intents.served_by(["今天的汇率在哪里查", "护照丢了怎么办"]) == {"live_rate"}
    assert intents.served_by(["护照丢了怎么办"]) == frozenset()
    rates = FaqEntry(
        "exchange-rate",
        "热线服务",
        "今天的汇率在哪里查？",
        ("现在美元兑人民币汇率多少", "最新的外汇牌价去哪里看"),
        "请以中国银行公布的牌价为准。",
    )
    with_rates = FaqMatcher.build([*mini_entries, rates]).decide("现在英镑兑人民币汇率多少")
    assert with_rates.out_of_scope is None
    without = FaqMatcher.build(mini_entries).decide("现在英镑兑人民币汇率多少")
    assert without.out_of_scope == "live_rate"


def test_no_shipped_kb_question_is_out_of_scope(intents: OutOfScopeIntents, shipped: FaqMatcher) -> None:
    # a cue that reaches one of the KB's own questions would switch its intent off for the KB (served_by)
    phrasings = [p for entry in shipped.entries() for p in entry.phrasings()]
    assert [(p, found.intent) for p in phrasings if (found := intents.find(p)) is not None] == []


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "intents.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("default_reply: x\nintents:\n  rate:\n    description: d\n    all_of: [[汇率, 123]]\n", "not text"),
        ("default_reply: x\nintents:\n  rate:\n    description: d\n    all_of: [[]]\n", "non-empty"),
        ("default_reply: x\nintents:\n  Rate:\n    description: d\n    all_of: [[汇率]]\n", "lower_case"),
        ("default_reply: x\nintents:\n  rate:\n    description: d\n    all_of: [[汇率]]\n    cues: [x]\n", "cues"),
        (
            "default_reply: x\nintents:\n  rate:\n    description: d\n"
            "    all_of: [{at_least: 3, cues: [美元, 欧元]}]\n",
            "fewer different cues",
        ),
    ],
)
def test_a_bad_file_is_refused_with_its_path(tmp_path: Path, body: str, says: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(OutOfScopeDataError) as raised:
        load_out_of_scope(path)
    assert str(path) in str(raised.value) and says in str(raised.value)


def test_a_group_can_ask_for_several_different_cues(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "default_reply: 不在服务范围\nintents:\n  conversion:\n    description: d\n"
        "    all_of: [[换多少], {at_least: 2, cues: [美元, 欧元, 日元]}]\n",
    )
    loaded = load_out_of_scope(path)
    assert loaded.find("一百美元换多少日元") is not None
    assert loaded.find("每年能换多少美元") is None
    assert loaded.reply("conversion") == "不在服务范围"
