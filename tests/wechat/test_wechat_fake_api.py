"""The fake WeChat API answers with WeChat's shapes and error codes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from wechat.fake_api import FakeWeChatState, create_fake_wechat_app
from wechat.fake_clock import ManualClock
from wechat.inbound import parse_xml


async def stable_token(http: httpx.AsyncClient, state: FakeWeChatState, **overrides: Any) -> dict[str, Any]:
    body = {"grant_type": "client_credential", "appid": state.appid, "secret": state.secret, **overrides}
    response = await http.post("/cgi-bin/stable_token", json=body)
    assert response.status_code == 200
    return dict(response.json())


async def token(http: httpx.AsyncClient, state: FakeWeChatState) -> str:
    return str((await stable_token(http, state))["access_token"])


async def post(http: httpx.AsyncClient, path: str, access_token: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await http.post(f"/cgi-bin/{path}", params={"access_token": access_token}, json=body)
    assert response.status_code == 200
    return dict(response.json())


def text(openid: str, content: str) -> dict[str, Any]:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


# --- tokens ---------------------------------------------------------------------------------------


async def test_stable_token_is_reused_until_its_last_five_minutes(
    http: httpx.AsyncClient, state: FakeWeChatState, clock: ManualClock
) -> None:
    first = await stable_token(http, state)
    assert first["expires_in"] == 7200
    clock.advance(seconds=3600)
    again = await stable_token(http, state)
    assert again["access_token"] == first["access_token"]
    assert again["expires_in"] == 3600
    clock.advance(seconds=3400)  # 200 s left: the platform hands out the next token
    renewed = await stable_token(http, state)
    assert renewed["access_token"] != first["access_token"]
    assert renewed["expires_in"] == 7200
    # the old one still works until its own expiry, then reports 42001
    ok = await post(http, "message/mass/get", first["access_token"], {"msg_id": 1})
    assert ok["errcode"] == 47003
    clock.advance(seconds=201)
    expired = await post(http, "message/mass/get", first["access_token"], {"msg_id": 1})
    assert expired["errcode"] == 42001


async def test_stable_token_force_refresh_invalidates_previous(
    http: httpx.AsyncClient, state: FakeWeChatState, clock: ManualClock
) -> None:
    old = await token(http, state)
    new = (await stable_token(http, state, force_refresh=True))["access_token"]
    assert new != old
    answer = await post(http, "message/mass/get", old, {"msg_id": 1})
    assert answer["errcode"] == 40001
    # a second force refresh inside 30 s does not refresh
    assert (await stable_token(http, state, force_refresh=True))["access_token"] == new
    clock.advance(seconds=31)
    assert (await stable_token(http, state, force_refresh=True))["access_token"] != new


@pytest.mark.parametrize(
    ("overrides", "errcode"),
    [({"appid": "wxwrong"}, 40013), ({"secret": "wrong"}, 40125), ({"grant_type": "password"}, 40002)],
)
async def test_stable_token_rejects_bad_credentials(
    http: httpx.AsyncClient, state: FakeWeChatState, overrides: dict[str, str], errcode: int
) -> None:
    answer = await stable_token(http, state, **overrides)
    assert answer["errcode"] == errcode
    assert "access_token" not in answer


async def test_get_token_supersedes_previous_after_grace(
    http: httpx.AsyncClient, state: FakeWeChatState, clock: ManualClock
) -> None:
    params = {"grant_type": "client_credential", "appid": state.appid, "secret": state.secret}
    first = (await http.get("/cgi-bin/token", params=params)).json()
    second = (await http.get("/cgi-bin/token", params=params)).json()
    assert first["access_token"] != second["access_token"]
    assert second["expires_in"] == 7200
    assert (await post(http, "message/mass/get", first["access_token"], {"msg_id": 1}))["errcode"] == 47003
    clock.advance(minutes=5)
    assert (await post(http, "message/mass/get", first["access_token"], {"msg_id": 1}))["errcode"] == 40001
    assert (await post(http, "message/mass/get", second["access_token"], {"msg_id": 1}))["errcode"] == 47003
    bad = (await http.get("/cgi-bin/token", params={**params, "appid": "wxnope"})).json()
    assert bad["errcode"] == 40013


async def test_calls_need_a_valid_token(http: httpx.AsyncClient, state: FakeWeChatState) -> None:
    missing = (await http.get("/cgi-bin/tags/get")).json()
    assert missing["errcode"] == 41001
    bogus = (await http.get("/cgi-bin/tags/get", params={"access_token": "nope"})).json()
    assert bogus["errcode"] == 40001
    assert bogus["errmsg"].startswith("invalid credential")
    good = (await http.get("/cgi-bin/tags/get", params={"access_token": await token(http, state)})).json()
    assert good == {"tags": [{"id": 2, "name": "星标组", "count": 0}]}


# --- customer-service messages --------------------------------------------------------------------


async def test_custom_send_needs_an_interaction_within_48_hours(
    http: httpx.AsyncClient, state: FakeWeChatState, clock: ManualClock
) -> None:
    access = await token(http, state)
    state.add_follower("oA")
    assert (await post(http, "message/custom/send", access, text("oA", "你好")))["errcode"] == 45015
    state.interact("oA")
    clock.advance(hours=47, minutes=59)
    access = await token(http, state)
    assert await post(http, "message/custom/send", access, text("oA", "您好，请问有什么可以帮您？")) == {
        "errcode": 0,
        "errmsg": "ok",
    }
    clock.advance(minutes=2)
    assert (await post(http, "message/custom/send", access, text("oA", "还在吗")))["errcode"] == 45015
    assert [m.text for m in state.custom_messages("oA")] == ["您好，请问有什么可以帮您？"]


async def test_custom_send_caps_five_per_interaction(http: httpx.AsyncClient, state: FakeWeChatState) -> None:
    access = await token(http, state)
    state.interact("oB")
    for i in range(5):
        assert (await post(http, "message/custom/send", access, text("oB", f"第{i}条")))["errcode"] == 0
    assert (await post(http, "message/custom/send", access, text("oB", "第6条")))["errcode"] == 45047
    state.interact("oB")
    assert (await post(http, "message/custom/send", access, text("oB", "又来了")))["errcode"] == 0
    assert len(state.custom_messages("oB")) == 6


async def test_custom_send_other_errors(http: httpx.AsyncClient, state: FakeWeChatState) -> None:
    access = await token(http, state)
    assert (await post(http, "message/custom/send", access, text("oNobody", "hi")))["errcode"] == 40003
    state.interact("oC")
    bad_type = {"touser": "oC", "msgtype": "sticker", "sticker": {}}
    assert (await post(http, "message/custom/send", access, bad_type))["errcode"] == 40008
    assert (await post(http, "message/custom/send", access, text("oC", "")))["errcode"] == 44004
    state.unfollow("oC")
    assert (await post(http, "message/custom/send", access, text("oC", "hi")))["errcode"] == 45015


# --- template messages ----------------------------------------------------------------------------


async def test_template_send(http: httpx.AsyncClient, state: FakeWeChatState) -> None:
    access = await token(http, state)
    state.add_follower("oT")
    body = {"touser": "oT", "template_id": "TPL_FAKE_NOTICE", "data": {"thing2": {"value": "工单已受理"}}}
    answer = await post(http, "message/template/send", access, body)
    assert answer["errcode"] == 0 and answer["errmsg"] == "ok"
    assert isinstance(answer["msgid"], int)
    assert state.templates_sent[0].data == {"thing2": {"value": "工单已受理"}}
    unknown = await post(http, "message/template/send", access, {**body, "template_id": "TPL_NOPE"})
    assert unknown["errcode"] == 40037
    state.unfollow("oT")
    assert (await post(http, "message/template/send", access, body))["errcode"] == 43004
    finish = parse_xml(state.template_job_finish_xml(answer["msgid"]))
    assert finish["Event"] == "TEMPLATESENDJOBFINISH" and finish["MsgID"] == str(answer["msgid"])


@pytest.mark.parametrize(
    ("data", "field"),
    [
        # first/remark are not shown since 2023-05-04; a category template has no such field
        ({"first": {"value": "您的留言已有答复"}, "thing2": {"value": "已答复"}}, "first"),
        ({"thing2": {"value": "已答复"}, "remark": {"value": "点击查看"}}, "remark"),
        ({"keyword1": {"value": "Q20261201-0001"}}, "keyword1"),  # a pre-2023 template's field
        ({"thing4": {"value": "已答复"}}, "thing4"),  # not a field of this template
        ({"thing2": {"value": "已答复，点击查看答复全文；您下次给我们发消息时也会收到"}}, "thing2"),  # > 20
        ({"thing2": {"value": "已答复🎉"}}, "thing2"),  # emoji
        ({"thing2": {"value": "已答复\n请查看"}}, "thing2"),
        ({"thing2": {"value": "  "}}, "thing2"),
        ({"character_string1": {"value": "留言Q20261201-0001"}}, "character_string1"),  # no Chinese
        ({"character_string1": {"value": "Q" * 33}}, "character_string1"),
        ({"time3": {"value": "12月1日（周二）17:30"}}, "time3"),  # not a plain time
        ({"time3": {"value": "2026-12-01"}}, "time3"),  # a date without the time
    ],
)
async def test_template_send_refuses_what_wechat_refuses(
    http: httpx.AsyncClient, state: FakeWeChatState, data: dict[str, Any], field: str
) -> None:
    access = await token(http, state)
    state.add_follower("oT")
    answer = await post(
        http, "message/template/send", access, {"touser": "oT", "template_id": "TPL_FAKE_NOTICE", "data": data}
    )
    assert answer["errcode"] == 47003
    assert answer["errmsg"].startswith(f"argument invalid! data.{field}.value invalid")
    assert state.templates_sent == []


async def test_template_send_accepts_a_complete_2023_notice(http: httpx.AsyncClient, state: FakeWeChatState) -> None:
    access = await token(http, state)
    state.add_follower("oT")
    data = {
        "character_string1": {"value": "Q20261201-0001"},
        "thing2": {"value": "已答复，点击查看全文"},
        "time3": {"value": "2026年12月1日 14:30", "color": "#FF0000"},  # colours are ignored, not refused
    }
    answer = await post(
        http, "message/template/send", access, {"touser": "oT", "template_id": "TPL_FAKE_NOTICE", "data": data}
    )
    assert answer["errcode"] == 0
    staff = {"thing1": {"value": "留言Q20261201-0001将到期"}, "time2": {"value": "2026-12-01 09:00~17:30"}}
    answer = await post(
        http, "message/template/send", access, {"touser": "oT", "template_id": "TPL_FAKE_STAFF", "data": staff}
    )
    assert answer["errcode"] == 0
    assert len(state.templates_sent) == 2


# --- mass send ------------------------------------------------------------------------------------


def mass_text(content: str, clientmsgid: str, **filter_: Any) -> dict[str, Any]:
    return {
        "filter": filter_ or {"is_to_all": True},
        "msgtype": "text",
        "text": {"content": content},
        "clientmsgid": clientmsgid,
    }


async def test_mass_sendall_is_idempotent_per_clientmsgid(
    http: httpx.AsyncClient, state: FakeWeChatState, clock: ManualClock
) -> None:
    access = await token(http, state)
    state.add_followers(["o1", "o2", "o3"])
    first = await post(http, "message/mass/sendall", access, mass_text("春节快乐", "cny-2025"))
    assert first["errcode"] == 0 and first["errmsg"] == "send job submission success"
    repeat = await post(http, "message/mass/sendall", access, mass_text("春节快乐", "cny-2025"))
    assert repeat["errcode"] == 45065
    assert repeat["msg_id"] == first["msg_id"]
    assert len(state.mass_jobs) == 1
    status = await post(http, "message/mass/get", access, {"msg_id": first["msg_id"]})
    assert status == {"msg_id": first["msg_id"], "msg_status": "SEND_SUCCESS"}
    event = parse_xml(state.mass_job_finish_xml(first["msg_id"], error_count=1))
    assert event["Event"] == "MASSSENDJOBFINISH" and event["MsgID"] == str(first["msg_id"])
    assert (event["TotalCount"], event["FilterCount"], event["SentCount"], event["ErrorCount"]) == (
        "3",
        "3",
        "2",
        "1",
    )


async def test_mass_sendall_quota_and_clientmsgid_limits(
    http: httpx.AsyncClient, state: FakeWeChatState, clock: ManualClock
) -> None:
    access = await token(http, state)
    state.add_followers(["o1"])
    too_long = await post(http, "message/mass/sendall", access, mass_text("x", "k" * 65))
    assert too_long["errcode"] == 45067
    assert (await post(http, "message/mass/sendall", access, mass_text("一", "a")))["errcode"] == 0
    # a subscription account gets one mass send per (Beijing) day
    assert (await post(http, "message/mass/sendall", access, mass_text("二", "b")))["errcode"] == 45028
    clock.advance(days=1)
    access = await token(http, state)
    assert (await post(http, "message/mass/sendall", access, mass_text("二", "b")))["errcode"] == 0


async def test_mass_sendall_retry_guard_when_enabled(clock: ManualClock) -> None:
    state = FakeWeChatState(clock=clock, mass_retry_guard=timedelta(minutes=1), mass_daily_quota=5)
    transport = httpx.ASGITransport(app=create_fake_wechat_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="https://api.weixin.qq.com") as http:
        access = await token(http, state)
        first = await post(http, "message/mass/sendall", access, mass_text("x", "same"))
        assert (await post(http, "message/mass/sendall", access, mass_text("x", "same")))["errcode"] == 45066
        clock.advance(minutes=1)
        access = await token(http, state)
        repeat = await post(http, "message/mass/sendall", access, mass_text("x", "same"))
        assert (repeat["errcode"], repeat["msg_id"]) == (45065, first["msg_id"])


async def test_service_account_filters_followers_past_four_a_month(clock: ManualClock) -> None:
    state = FakeWeChatState(clock=clock, account_type="service")
    state.add_followers(["o1", "o2"])
    transport = httpx.ASGITransport(app=create_fake_wechat_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="https://api.weixin.qq.com") as http:
        access = await token(http, state)
        tag = (await post(http, "tags/create", access, {"tag": {"name": "欧洲"}}))["tag"]["id"]
        await post(http, "tags/members/batchtagging", access, {"openid_list": ["o1"], "tagid": tag})
        for i in range(4):
            assert (
                await post(http, "message/mass/sendall", access, mass_text("n", f"t{i}", is_to_all=False, tag_id=tag))
            )["errcode"] == 0
        last = await post(http, "message/mass/sendall", access, mass_text("n", "all"))
    job = state.mass_jobs[last["msg_id"]]
    assert (job.total_count, job.filter_count, job.recipients) == (2, 1, ["o2"])


async def test_mass_preview_and_unknown_msg(http: httpx.AsyncClient, state: FakeWeChatState) -> None:
    access = await token(http, state)
    state.add_follower("oP")
    body = {"touser": "oP", "msgtype": "mpnews", "mpnews": {"media_id": "MEDIA"}}
    preview = await post(http, "message/mass/preview", access, body)
    assert preview["errcode"] == 0 and preview["errmsg"] == "preview success"
    assert state.previews[0].openid == "oP"
    assert (await post(http, "message/mass/preview", access, {**body, "touser": "oX"}))["errcode"] == 40003
    assert (await post(http, "message/mass/get", access, {"msg_id": 42}))["errcode"] == 47003


# --- users and tags -------------------------------------------------------------------------------


async def test_user_get_pages_like_wechat(http: httpx.AsyncClient, state: FakeWeChatState) -> None:
    state.page_size = 2
    state.add_followers(["o1", "o2", "o3"])
    access = await token(http, state)
    first = (await http.get("/cgi-bin/user/get", params={"access_token": access})).json()
    assert first == {"total": 3, "count": 2, "data": {"openid": ["o1", "o2"]}, "next_openid": "o2"}
    params = {"access_token": access, "next_openid": "o2"}
    second = (await http.get("/cgi-bin/user/get", params=params)).json()
    assert second == {"total": 3, "count": 1, "data": {"openid": ["o3"]}, "next_openid": "o3"}
    params["next_openid"] = "o3"
    assert (await http.get("/cgi-bin/user/get", params=params)).json() == {
        "total": 3,
        "count": 0,
        "next_openid": "",
    }


async def test_tags(http: httpx.AsyncClient, state: FakeWeChatState) -> None:
    access = await token(http, state)
    state.add_followers(["o1", "o2"])
    created = await post(http, "tags/create", access, {"tag": {"name": "北美侨胞"}})
    tag_id = created["tag"]["id"]
    assert created == {"tag": {"id": tag_id, "name": "北美侨胞"}}
    assert (await post(http, "tags/create", access, {"tag": {"name": "北美侨胞"}}))["errcode"] == 45157
    assert (await post(http, "tags/create", access, {"tag": {"name": "长" * 11}}))["errcode"] == 45158
    tagging = {"openid_list": ["o1", "o2"], "tagid": tag_id}
    assert await post(http, "tags/members/batchtagging", access, tagging) == {"errcode": 0, "errmsg": "ok"}
    too_many = {"openid_list": [f"o{i}" for i in range(51)], "tagid": tag_id}
    assert (await post(http, "tags/members/batchtagging", access, too_many))["errcode"] == 40032
    assert (await post(http, "tags/members/batchtagging", access, {**tagging, "tagid": 999}))["errcode"] == 45159
    members = await post(http, "user/tag/get", access, {"tagid": tag_id, "next_openid": ""})
    assert members["data"]["openid"] == ["o1", "o2"]
    assert await post(http, "tags/getidlist", access, {"openid": "o1"}) == {"tagid_list": [tag_id]}
    tags = (await http.get("/cgi-bin/tags/get", params={"access_token": access})).json()["tags"]
    assert {"id": tag_id, "name": "北美侨胞", "count": 2} in tags


# --- fault injection, recording and control routes ------------------------------------------------


async def test_fault_injection_and_call_recording(http: httpx.AsyncClient, state: FakeWeChatState) -> None:
    access = await token(http, state)
    state.fail_next("message/custom/send", errcode=45011, count=2)
    state.fail_next("/cgi-bin/tags/get", http_status=500)
    state.interact("oF")
    assert (await post(http, "message/custom/send", access, text("oF", "1")))["errcode"] == 45011
    assert (await post(http, "message/custom/send", access, text("oF", "2")))["errcode"] == 45011
    assert (await post(http, "message/custom/send", access, text("oF", "3")))["errcode"] == 0
    assert (await http.get("/cgi-bin/tags/get", params={"access_token": access})).status_code == 500
    calls = state.calls_to("message/custom/send")
    assert [c.json["text"]["content"] for c in calls] == ["1", "2", "3"]
    assert calls[0].query["access_token"] == access


async def test_control_routes_for_out_of_process_simulator(http: httpx.AsyncClient, state: FakeWeChatState) -> None:
    assert (await http.post("/_fake/interactions", json={"openid": "oS"})).json()["ok"] is True
    access = await token(http, state)
    await post(http, "message/custom/send", access, text("oS", "第一条"))
    await post(http, "message/custom/send", access, text("oS", "第二条"))
    messages = (await http.get("/_fake/messages", params={"openid": "oS"})).json()["messages"]
    assert [m["text"] for m in messages] == ["第一条", "第二条"]
    later = (await http.get("/_fake/messages", params={"openid": "oS", "after": messages[0]["seq"]})).json()
    assert [m["text"] for m in later["messages"]] == ["第二条"]
