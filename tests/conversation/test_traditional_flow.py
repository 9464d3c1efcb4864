"""Issue 9, faults 6 and 7: a follower who writes Traditional has their text stored exactly as written, the
script stored and shown to staff, and receives every message in correct Traditional, through a full
hand-over → staff answer → follow-up, whatever words without script evidence ("人工", "1") they type."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from faq.script import detect_script
from storage.models import Follower, MessageLog
from tests.console.conftest import PASSWORD, csrf_of, page_login
from tests.conversation.conftest import messages_of, tickets_of
from tests.conversation.test_traditional_conversion import wrong_forms

REQUEST = "我在溫哥華，想給家鄉的小學捐一批圖書，應該找誰聯繫？"
ANSWER = "请联系当地县级侨务部门；换发证件时请带户口簿复印件，回复本消息可继续说明情况。"


def assert_traditional(message: str) -> None:
    assert detect_script(message) == "hant", message
    assert wrong_forms(message) == [], message


async def test_full_hand_over_answer_and_follow_up_in_traditional(new_user, services, console, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    received: list[str] = []

    async def say(text: str, kind: str = "text", key: str = "") -> str:
        reply = await user.say(text, kind=kind, key=key)
        assert reply
        received.append(reply)
        return reply

    assert "您是不是想問" in await say(REQUEST)
    assert "留言編號" in await say("人工")  # no script evidence: the follower's script holds
    assert "正在由工作人員處理" in await say("轉人工")
    await say("", kind="click", key="STATUS")
    assert "已補充到您的留言" in await say("補充：學校在台山，大概兩百本兒童讀物")
    await say("？？？")
    assert "國籍法" in await say("中國承認雙重國籍嗎")
    await say("1")

    await services.activity.flush()  # the follower's last message time, as the worker writes it behind
    [ticket] = await tickets_of(services, user.openid)
    assert ticket.script == "hant"
    page = await console.get(f"/console/tickets/{ticket.number}")
    assert re.search(r'id="script">繁體', page.text)
    preview = await console.post(
        f"/console/tickets/{ticket.number}/preview", data={"answer": ANSWER, "csrf_token": csrf_of(page.text)}
    )
    assert preview.status_code == 200
    shown = re.search(r'id="answer-preview">.*?<pre class="text">(.*?)</pre>', preview.text, re.S)
    assert shown is not None and "換發證件" in shown.group(1) and "戶口簿複印件" in shown.group(1)
    sent = await console.post(
        f"/console/tickets/{ticket.number}/answer",
        data={"answer": ANSWER, "version": str(ticket.version), "csrf_token": csrf_of(page.text)},
    )
    assert sent.status_code in (200, 303), sent.text
    assert await services.worker().run_once() >= 1
    pushed = [m.text or "" for m in fake_wechat.custom_messages(user.openid)]
    assert pushed and "換發證件" in pushed[-1] and "已有答覆" in pushed[-1]
    fake_wechat.clock.advance(seconds=1)  # the rating question follows as its own message
    await services.deliveries.sweep(older_than=timedelta(0))
    assert await services.worker().run_once() == 1
    pushed = [m.text or "" for m in fake_wechat.custom_messages(user.openid)]
    assert "請您對本次答覆作出評價" in pushed[-1] and "換發證件" in pushed[-2]
    assert shown.group(1) == f"{pushed[-2]}\n\n{pushed[-1]}"  # staff saw exactly what the user got
    received.extend(pushed)

    reopened = await say("謝謝，那學校的證明怎麼開？")
    assert "追問" in reopened
    await say("", kind="click", key="HUMAN")
    for message in received:
        assert_traditional(message)


async def test_answer_notice_outside_the_window_is_traditional(new_user, services, console, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    services.settings.wechat_answer_template_id = "TPL_FAKE_NOTICE"
    user = new_user()
    await user.say(REQUEST)
    await user.say("人工")
    await services.activity.flush()
    fake_wechat.clock.advance(hours=49)
    await page_login(console, "alice", PASSWORD)  # the staff session lapsed in the meantime too
    [ticket] = await tickets_of(services, user.openid)
    page = await console.get(f"/console/tickets/{ticket.number}")
    assert page.status_code == 200, page.text
    await console.post(
        f"/console/tickets/{ticket.number}/answer",
        data={"answer": ANSWER, "version": str(ticket.version), "csrf_token": csrf_of(page.text)},
    )
    await services.worker().run_once()
    [template] = fake_wechat.templates_sent
    assert set(template.data) == {"character_string1", "thing2", "time3"}  # no first/remark since 2023
    assert template.data["thing2"]["value"] == "已答覆，點擊查看全文"
    assert_traditional(str(template.data["thing2"]["value"]))
    returned = await user.say("你好")  # the user writes again: the waiting answer comes with the reply
    assert returned is not None
    await services.worker().run_once()
    later = [m.text or "" for m in fake_wechat.custom_messages(user.openid)]
    assert any("換發證件" in text for text in later)
    for text in later:
        assert_traditional(text)


async def test_traditional_text_is_stored_exactly_as_written(new_user, services, console) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    await user.say("中國承認雙重國籍嗎")
    await user.say(REQUEST)
    await user.say("人工")
    await user.say("補充：學校在台山")
    [ticket] = await tickets_of(services, user.openid)
    assert ticket.question == REQUEST
    bodies = [m.body for m in await messages_of(services, ticket) if m.kind in ("context", "user")]
    assert bodies == ["中國承認雙重國籍嗎", "補充：學校在台山"]
    await services.activity.flush()
    async with services.sessions() as session:
        follower = await session.get(Follower, user.openid)
        logged = (
            await session.scalars(
                select(MessageLog.content).where(MessageLog.openid == user.openid, MessageLog.direction == "in")
            )
        ).all()
    assert follower is not None and follower.script == "hant"
    assert REQUEST in logged and "溫哥華" in REQUEST
    page = (await console.get(f"/console/tickets/{ticket.number}")).text
    assert "溫哥華" in page and "温哥华" not in page


async def test_script_follows_the_latest_message_with_evidence(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    assert detect_script(await user.say("護照丟了怎麼辦") or "") == "hant"
    assert detect_script(await user.say("护照丢了怎么办") or "") == "hans"
    assert detect_script(await user.say("菜單") or "") == "hant"
    assert detect_script(await user.say("human") or "") == "hant"
