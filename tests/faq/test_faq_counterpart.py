"""Another country's document or system (美国护照, 申根签证) is never answered with China's entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import FOREIGN_COUNTERPARTS_PATH
from faq.counterpart import (
    APPLIED,
    BEFORE_TRIP,
    FOREIGN_ONLY,
    INTO_FOREIGN,
    PLACED,
    RENEWED,
    USED_ABROAD,
    CounterpartDataError,
    CounterpartReader,
    counterparts,
    load_counterparts,
)
from faq.matcher import FaqMatcher


@pytest.fixture(scope="module")
def reader() -> CounterpartReader:
    return counterparts()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("我的美国护照明年到期，在上海能续吗", "passport" + RENEWED),  # only the US renews it
        ("美国的驾照过期了，我现在在中国，能在网上续吗", "driving_licence" + RENEWED),
        ("美国驾照过期了，能换中国驾照吗", None),  # converted into China's: the last document named is China's
        ("加拿大的CPP养老金回国还能领吗", "pension"),  # a programme's short name between country and document
        ("要是退休后回国住，加拿大的养老金还能领吗", "pension"),  # 住 parted from 加拿大 by a comma: no place
        ("台灣的健保卡過期了要去哪裡換", "health_insurance"),
        ("国内的驾照可以在马来西亚直接开车吗", "driving_licence" + USED_ABROAD),  # modals before the place
        ("利润想汇回中国，印尼那边要交什么税", "tax"),  # a tax placed in a foreign country is its tax
        ("在美国入境海关能带多少现金", "customs"),
        ("我从美国回来，海关能带多少现金", None),  # from the US into China's customs
        ("在美国的收入在中国要交税吗", None),  # China named after the place
        ("我在美国工作，回国要交税吗", None),
        ("我有中国驾照，在新西兰能换当地驾照吗", "driving_licence" + INTO_FOREIGN),  # the held licence is turned
        ("外国护照回国探亲要办什么手续", "passport"),  # 手续 is no renewal (a bare 续 is not one)
        ("美国绿卡回国后还能继续保留吗", "permanent_residence"),  # nor is 继续
        ("在 加拿大护照丢了怎么补办", None),  # 在 takes its place even after a typed space
        ("在美国买的药带回来过海关要申报吗", None),  # brought back: China's customs
        ("美国那边寄过来的东西海关会扣吗", None),
        ("美国那边已经交过税了，国内还要交吗", None),  # China's tax, with a credit for the US one
        ("美国入境海关能带多少现金", "customs"),
        ("去美国海关能带多少现金", "customs"),
        ("外籍Q2签证怎么申请", None),  # China's Q2 visa: a generic 外籍 reaches no document across a code
        ("加拿大的 OAS 养老金回国能领吗", "pension"),
        ("美国B1/B2签证过期了", "visa"),
        ("Can I use my Chinese driving licence in the US?", "driving_licence" + USED_ABROAD),
        ("Is my Chinese driving licence still valid in Australia?", "driving_licence" + USED_ABROAD),
        ("my canadian passport is about to expire, where do i renew it", "passport" + RENEWED),
        # the last document named is Spain's, and China's is turned into it: Spain's procedure
        ("想把中国驾照换成西班牙驾照，要考试吗", "driving_licence" + INTO_FOREIGN),
        ("can i exchange my chinese driving licence for a german driving licence", "driving_licence" + INTO_FOREIGN),
        ("中国驾照丢了，西班牙驾照还能用吗", "driving_licence"),  # no conversion between them
        ("人在新西兰，中国驾照要不要换成当地驾照", "driving_licence" + INTO_FOREIGN),  # "local" is not China's here
        ("社安金每个月几号发", FOREIGN_ONLY),
        ("在加拿大领的social security养老金回国还能领吗", "pension"),  # a foreign system's name before a document
        ("老人的social security回国还能领吗", FOREIGN_ONLY),  # English inside Chinese: the foreign programme
        ("英国的nhs能报销回国看病吗", FOREIGN_ONLY),
        ("英国配偶签证怎么申请", "visa" + APPLIED),  # a modifier between country and document
        ("美签面试要带什么", "visa"),  # a one-character short form, attached
        ("德國的養老金回國能領嗎", "pension"),  # Traditional is read through Simplified
        ("medicare 回国看病能报吗", FOREIGN_ONLY),
        ("香港身份證換領要去邊度", "id_card"),  # Hong Kong issues its own identity card
        ("my taiwan id card expired", "id_card"),
        ("我的美国号码去中国可以漫游吗", "phone_number"),
        ("my spanish residence card expired", "residence_permit"),  # Spain's, not China's residence permit
        ("我的意大利permesso di soggiorno要续", FOREIGN_ONLY),  # a US carrier's number is not a Chinese one
        ("带月饼过日本海关会被没收吗", "customs"),  # Japan's customs, not China's entry rules
        ("does canadian customs let me bring in sausages", "customs"),
        ("西班牙的无犯罪证明要去哪里开", "criminal_record"),  # Spain's police certify, not China's
        ("中国驾照在德国能直接开车吗", "driving_licence" + USED_ABROAD),  # China's licence, asked of Germany
        ("國內醫保在加拿大能報銷嗎", "health_insurance" + USED_ABROAD),
        # a visa's kind in one word, and up to two modifiers between the country and the visa
        ("我的加拿大学签快到期了，怎么延期", "visa" + RENEWED),
        ("英国全球人才签证要什么条件", "visa"),
        ("what does a us global talent visa need", "visa"),
        # a visa or residence permit held in a foreign place is that country's; a comma parts them
        ("在日本的签证停留期快到了，想延长", "visa"),
        ("在西班牙的居留卡快到期了", "residence_permit"),
        ("我在加拿大 工作签证快到期了", None),
        ("在美国签证过期了，回国还能再去吗", None),  # China named after it: the trip home
        ("在美国的签证中心能办中国签证吗", None),
        # another country's authorities and missions
        ("英国移民局的咨询热线怎么打", "immigration_office"),
        ("美国移民局USCIS的客服电话是多少", FOREIGN_ONLY),
        ("日本驻上海总领事馆在哪里", "mission"),  # the country before 驻 is the mission's
        ("中国驻美国大使馆电话", None),
        ("驻外使领馆电话", None),
        ("请问移民局的咨询热线是多少", None),  # unqualified: China's
        # an authority that asks something of the user is not what the user asks about
        ("新加坡移民局要求我提交放弃中国国籍的证明", None),
        ("Canadian immigration wants my notarized Chinese birth record", None),
        # an unqualified authority is only where: the document asked about is the one before it
        ("My Hong Kong identity card was damaged. How do I replace it at the Immigration Department in HK?", "id_card"),
        # obtaining another country's document is that country's procedure; a nationality is otherwise who one is
        ("孩子在德国出生，能拿德国国籍吗", "nationality" + APPLIED),
        ("How long must I live in Ireland to apply for Irish citizenship?", "nationality" + APPLIED),
        ("中国驾照在美国能开车吗？还是要考加州驾照？", "driving_licence" + APPLIED),
        ("没给她办大马国籍，明年回文昌想给她上户口", None),  # negated: not obtained
        ("I don't want to apply for a US green card", "permanent_residence"),
        ("我老公美国国籍，能在国内买房吗", None),  # a nationality held is who, not what
        ("入了美国籍还能保留中国护照吗", None),
        ("申请外国国籍要先退出中国国籍吗", None),  # China's nationality, asked last
        ("拿到美国绿卡以后户口会注销吗", None),  # already held: not an application
        # a trip to a foreign country: China's document is asked of it, an unqualified visa is its visa
        ("去新西兰自驾，中国驾照要办什么翻译件", "driving_licence" + USED_ABROAD),
        ("I'm moving to Canada, can I keep my Chinese pension?", "pension" + USED_ABROAD),
        ("去日本要签证吗", "visa"),
        ("Do I need a visa to go to Japan?", "visa"),
        ("拿美国护照去中国要签证吗", None),  # the trip is to China
        ("去美国旅游，回国入境海关要申报什么", None),  # and back into China
        ("我人在上海，护照丢了，先去派出所还是出入境挂失？我月底要回德国上班", None),
        # a document the asked one is for (a purpose) is not what is asked
        ("我在佛山要把结婚证拿去澳洲办配偶签证用要在哪里做公证和认证", None),
        # 续签 renews the visa before it; it is no visa of its own
        ("英国签证续签，在英国境内怎么申请", "visa" + RENEWED),
        ("外国人签证续签去哪里", None),
        # a world region is as foreign as a country; a foreign programme by its short name
        ("欧洲的养老金回国能领吗", "pension"),
        ("我在加拿大交了十年税，退休了能领OAS吗", FOREIGN_ONLY),
        # China's own, or the user's status rather than what they ask about
        ("中国护照过期了怎么办", None),
        ("在美国护照丢了怎么补", None),  # "在美国" is where, the passport is Chinese
        ("我持美国护照回国探亲，签证停留期快到了", None),  # the question is about the (Chinese) visa
        ("我是加拿大绿卡，在国内能换护照吗", None),
        ("I hold a US passport, how do I apply for a Chinese visa", None),
        ("how to register a marriage in china with a foreign passport", None),
        ("新护照什么时候能拿到", None),  # "新" is new, not Singapore
        ("国外护照被偷了", None),  # lost abroad, most likely: in doubt, not a near miss
        ("我喺加拿大，護照就快到期", None),  # Cantonese 喺 (在); and a comma parts country and document
        ("我在美国住了十年 护照快到期了", None),
        ("护照过期了怎么办", None),
        ("身份证过期了，人在国外能换吗", None),
        ("我是香港人，想在内地办身份证", None),  # a person from Hong Kong, the mainland card
        ("can i keep paying chinese social security from abroad", None),  # China's, qualified so
        ("how do i get my social security pension in china", None),  # English: an ordinary word
        ("美国驾照能不能换中国驾照", None),  # the other way round: China's is what they ask for
        ("回国以后当地驾照怎么考", None),  # "local" alone: China's
        ("回国带两万美元现金，海关要申报吗", None),  # China's customs
        ("在美国开无犯罪证明，要去哪里", None),  # a place before it: China's certificate, asked for abroad
        ("我在德国，中国驾照快过期了", None),  # where the user is, then China's licence: the KB's question
        ("中国驾照在国外能用吗", None),  # abroad, but no country named: in doubt, not a near miss
        # countries beyond the big emigrant destinations are foreign too
        ("牙买加护照快到期了", "passport"),
        ("我在牙买加，中国护照快到期了", None),
    ],
)
def test_asked_foreign_kind(reader: CounterpartReader, text: str, kind: str | None) -> None:
    assert reader.asked_foreign_kind(text) == kind


def test_an_entry_covers_foreign_documents_it_names(reader: CounterpartReader) -> None:
    # (the unqualified licence is China's: it answers for China's licence before a trip as well)
    covered = reader.covered_kinds(["外国驾照在国内能用吗", "驾照到期怎么换"])
    assert covered == {"driving_licence", "driving_licence" + BEFORE_TRIP}
    # a place, not a qualifier: no foreign passport (China's, set abroad)
    assert reader.covered_kinds(["在国外护照快到期了怎么换发"]) == {"passport" + USED_ABROAD}
    # an entry about foreign licences turned into China's does not cover China's turned into a foreign one
    assert reader.covered_kinds(["国外驾照能换成中国驾照吗"]) == {"driving_licence"}
    assert reader.covered_kinds(["中国驾照怎么换成德国驾照"]) == {"driving_licence", "driving_licence" + INTO_FOREIGN}


def test_an_authority_where_the_act_happens_abroad_is_that_countrys(reader: CounterpartReader) -> None:
    # the act's place comes from faq.action_place (acts_abroad); the court or tax named last, unqualified, is there
    assert reader.asked_in("在加拿大离婚 法院怎么算孩子的抚养费", acts_abroad=True) == "court" + PLACED
    assert reader.asked_in("在加拿大离婚 法院怎么算孩子的抚养费") is None
    assert reader.asked_in("在法国开餐馆 税怎么报", acts_abroad=True) == "tax" + PLACED
    # an entry set at a foreign court, China unnamed, covers it; one about a foreign judgment in China does not
    assert "court" + PLACED in reader.covered_kinds(["在意大利被老板欠薪，能去法院告吗"])
    assert "court" + PLACED not in reader.covered_kinds(["在国外法院离的婚，国内承认吗"])


def test_another_countrys_investment_rules() -> None:
    reader = counterparts()
    assert reader.asked_foreign_kind("越南对外资的负面清单有哪些行业") == "investment_rules"
    assert reader.asked_foreign_kind("中国对外资的负面清单") is None
    assert reader.asked_foreign_kind("外国人投资的负面清单") is None


def test_an_entry_that_sends_someone_abroad_covers_the_destinations_visa(reader: CounterpartReader) -> None:
    assert "visa" in reader.covered_kinds(["我在文成，想出国探望在国外的子女，护照和签证怎么办"])
    assert "visa" in reader.covered_kinds(["老人去法国探亲的签证怎么办"])
    assert "visa" not in reader.covered_kinds(["签证快到期了还想在国内多待一段时间"])


def test_an_entry_covers_chinas_documents_abroad_when_it_sets_them_there(reader: CounterpartReader) -> None:
    assert reader.covered_kinds(["请问出国以后国内医保还能用吗"]) == {"health_insurance" + USED_ABROAD}
    assert reader.covered_kinds(["在国外护照丢了怎么办"]) == {"passport" + USED_ABROAD}
    # a foreign licence turned into China's is about the foreign one, not China's used abroad
    assert reader.covered_kinds(["国外驾照能换成中国驾照吗"]) == {"driving_licence"}


def test_chinas_document_in_a_foreign_place_is_answered_only_by_an_entry_set_abroad(mini_matcher: FaqMatcher) -> None:
    # driving-license is about foreign licences used in China; passport-lost-abroad is set abroad
    driving = mini_matcher.decide("中国驾照在德国能直接开车吗")
    assert driving.decision != "answer" and driving.suggestions[:1] == ("driving-license",)
    lost = mini_matcher.decide("中国护照在美国丢了怎么办")
    assert lost.decision == "answer" and lost.faq_id == "passport-lost-abroad"


def test_near_miss_is_offered_not_answered(mini_matcher: FaqMatcher) -> None:
    ours = mini_matcher.decide("在国外护照快到期了怎么换发")
    assert ours.decision == "answer" and ours.faq_id == "passport-renew-abroad"
    theirs = mini_matcher.decide("我的美国护照快到期了怎么换发")
    assert theirs.decision != "answer"
    assert theirs.suggestions[:1] == ("passport-renew-abroad",)


def test_entry_that_speaks_of_foreign_documents_still_answers(mini_matcher: FaqMatcher) -> None:
    # driving-license: "国外驾照能不能换中国驾照" names foreign licences itself
    decision = mini_matcher.decide("美国驾照能不能换中国驾照")
    assert decision.decision == "answer" and decision.faq_id == "driving-license"


def test_a_chinese_licence_turned_into_a_foreign_one_is_not_answered(mini_matcher: FaqMatcher) -> None:
    # driving-license is about the opposite conversion (a foreign licence into a Chinese one)
    decision = mini_matcher.decide("我想把中国驾照换成西班牙驾照，要考试吗")
    assert decision.decision != "answer"
    assert decision.suggestions[:1] == ("driving-license",)


def test_bad_file_is_refused_with_its_path(tmp_path: Path) -> None:
    good = FOREIGN_COUNTERPARTS_PATH.read_text(encoding="utf-8")
    missing = tmp_path / "missing_key.yaml"
    missing.write_text(good.replace("status_markers:", "status_marks:"), encoding="utf-8")
    with pytest.raises(CounterpartDataError, match=r"missing_key\.yaml"):
        load_counterparts(missing)
    empty_kind = tmp_path / "empty_kind.yaml"
    empty_kind.write_text(good.replace("  passport: [护照, passport]", "  passport: []"), encoding="utf-8")
    with pytest.raises(CounterpartDataError, match=r"empty_kind\.yaml.*passport"):
        load_counterparts(empty_kind)


def test_explain_names_the_near_miss(mini_matcher: FaqMatcher) -> None:
    why = mini_matcher.explain("我的美国护照快到期了怎么换发")
    assert "another country's passport" in why.reason
    assert why.decision is not None and why.decision.decision != "answer"


@pytest.mark.parametrize(
    ("text", "applied"),
    [
        ("美国绿卡怎么申请", True),  # the acquisition after the document asks to obtain it, like 申请美国绿卡
        ("英国永居如何申请？", True),
        ("我的美国绿卡申请下来了，怎么回国定居", False),  # done: held, not asked for
        ("我有美国绿卡，怎么回国定居", False),
        ("美国护照怎么办", False),  # what to do about it, not how to obtain it
    ],
)
def test_an_acquisition_after_the_document_asks_to_obtain_it(
    reader: CounterpartReader, text: str, applied: bool
) -> None:
    asked = reader.asked_foreign_kind(text)
    assert (asked is not None and asked.endswith(APPLIED)) is applied


def test_a_chinese_citizen_on_a_trip_abroad_asks_for_the_destinations_visa(reader: CounterpartReader) -> None:
    """中国人 / a Chinese citizen says who travels: the visa after a trip to Thailand is still Thailand's, while a
    word that brings the matter into China (回国) keeps it China's."""
    assert reader.asked_foreign_kind("中国人去泰国旅游要办什么签证？") == "visa"
    assert reader.asked_foreign_kind("As a Chinese citizen going to Japan, do I need a visa?") == "visa"
    assert reader.asked_foreign_kind("中国人去泰国旅游，回国要办什么签证？") is None
