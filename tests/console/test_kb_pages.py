"""The KB pages over HTTP: who may do what, bad input answered with the reason and the typed text kept, and
a new entry drafted from a missed group starting from the staff answer of the group's ticket."""

from __future__ import annotations

import re

import httpx

from tests.console.conftest import PASSWORD, csrf_of, page_login


async def _page_client(app, username: str) -> tuple[httpx.AsyncClient, str]:  # type: ignore[no-untyped-def]
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    response = await page_login(http, username, PASSWORD)
    assert response.status_code == 303, response.text
    page = await http.get("/console/faq")
    assert page.status_code == 200
    return http, csrf_of(page.text)


def _entry_form(csrf: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "category": "出入境",
        "question": "在国外护照丢了怎么办？",
        "similar": "护照在国外被偷了\n海外护照遗失补办",
        "answer": "先报警，再联系使领馆。",
    }
    return {**form, **changes}


async def test_staff_draft_but_only_supervisors_publish(app, staff) -> None:  # type: ignore[no-untyped-def]
    alice, csrf = await _page_client(app, "alice")
    sam, sam_csrf = await _page_client(app, "sam")
    try:
        saved = await alice.post("/console/faq/passport-lost-abroad", data=_entry_form(csrf))
        assert saved.status_code == 303
        drafts = await sam.get("/console/faq/drafts")
        draft_id = re.search(r'name="draft" value="(\d+)"', drafts.text)
        assert draft_id is not None and 'id="check-clean"' in drafts.text
        refused = await alice.post("/console/faq/drafts/publish", data={"csrf_token": csrf, "draft": draft_id.group(1)})
        assert refused.status_code == 403 and "只有主管" in refused.text
        forged = await sam.post("/console/faq/drafts/publish", data={"draft": draft_id.group(1)})
        assert forged.status_code == 403  # no CSRF token
        done = await sam.post("/console/faq/drafts/publish", data={"csrf_token": sam_csrf, "draft": draft_id.group(1)})
        assert done.status_code == 303 and done.headers["location"].endswith("done=published")
        page = await sam.get("/console/faq/passport-lost-abroad")
        assert "先报警，再联系使领馆。" in page.text
    finally:
        await alice.aclose()
        await sam.aclose()


async def test_bad_input_is_refused_with_the_reason_and_kept(app, staff) -> None:  # type: ignore[no-untyped-def]
    alice, csrf = await _page_client(app, "alice")
    try:
        bad_date = await alice.post(
            "/console/faq/passport-lost-abroad", data=_entry_form(csrf, expires_on="2026-13-40", answer="我写的新答案")
        )
        assert bad_date.status_code == 400 and "失效日期应为 YYYY-MM-DD" in bad_date.text
        assert "我写的新答案" in bad_date.text
        bad_id = await alice.post("/console/faq/new", data=_entry_form(csrf, id="Not A Slug"))
        assert bad_id.status_code == 400 and "id 只能用小写字母" in bad_id.text
        taken = await alice.post("/console/faq/new", data=_entry_form(csrf, id="passport-lost-abroad"))
        assert taken.status_code == 400 and "已有 id" in taken.text
        missing = await alice.get("/console/faq/no-such-entry")
        assert missing.status_code == 404
    finally:
        await alice.aclose()


async def test_new_entry_from_a_missed_group_starts_from_the_staff_answer(app, staff, services, wechat_user) -> None:  # type: ignore[no-untyped-def]
    question = "请问我在迪拜开的餐馆被房东违约怎么维权"
    reply = await wechat_user().say(question)
    if reply is not None and "回复 1" in reply:  # the bot asked whether to pass it on: confirm
        reply = await wechat_user().say("1")
    await services.activity.flush()
    sam, csrf = await _page_client(app, "sam")
    try:
        missed = await sam.get("/console/missed")
        assert question in missed.text
        tickets = await sam.get("/console/tickets")
        number = re.search(r"(Q\d{8}-\d{4})", tickets.text)
        assert number is not None
        ticket = await sam.get(f"/console/tickets/{number.group(1)}")
        version = re.search(r'name="version" value="(\d+)"', ticket.text)
        assert version is not None
        answer = "您好：请保留租赁合同和付款凭证，可联系当地中国商会或我驻迪拜总领馆推荐的律师。"
        answered = await sam.post(
            f"/console/tickets/{number.group(1)}/answer",
            data={"csrf_token": csrf, "answer": answer, "version": version.group(1)},
        )
        assert answered.status_code == 303
        form = await sam.get("/console/faq/new", params={"missed": question})
        assert form.status_code == 200
        assert answer in form.text and f'value="{question}"' in form.text
    finally:
        await sam.aclose()


def _draft_version(html: str) -> str:
    found = re.search(r'name="draft_version" id="draft-version" value="(\d+)"', html)
    assert found is not None, "the edit form carries the draft version it shows"
    return found.group(1)


async def test_a_draft_saved_by_someone_else_meanwhile_is_a_409_with_both_texts(app, staff) -> None:  # type: ignore[no-untyped-def]
    alice, csrf = await _page_client(app, "alice")
    bob, bob_csrf = await _page_client(app, "bob")
    url = "/console/faq/passport-lost-abroad"
    try:
        opened_by_alice = _draft_version((await alice.get(url)).text)
        opened_by_bob = _draft_version((await bob.get(url)).text)
        assert opened_by_alice == opened_by_bob == "0"
        saved = await alice.post(url, data=_entry_form(csrf, answer="李工：先报警。", draft_version=opened_by_alice))
        assert saved.status_code == 303
        bobs = _entry_form(bob_csrf, answer="老王：先找使馆。", draft_version=opened_by_bob)
        refused = await bob.post(url, data=bobs)
        assert refused.status_code == 409
        assert "alice 在您打开此页之后保存了 passport-lost-abroad 的草稿" in refused.text
        assert 'id="draft-conflict"' in refused.text and "李工：先报警。" in refused.text  # her draft, to compare
        assert ">老王：先找使馆。</textarea>" in refused.text  # his text kept in the form
        assert _draft_version(refused.text) == "1"
        assert "李工：先报警。" in (await alice.get(url)).text  # hers is still the draft
        again = await bob.post(url, data=_entry_form(bob_csrf, answer="老王：先找使馆。", draft_version="1"))
        assert again.status_code == 303
        page = (await alice.get(url)).text
        assert "老王：先找使馆。" in page and _draft_version(page) == "2"
    finally:
        await alice.aclose()
        await bob.aclose()


async def test_two_saves_posted_at_once_are_a_save_and_a_409_never_a_500(app, staff, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from tests.knowledge.test_kb_draft_conflicts import _both_read_first

    alice, csrf = await _page_client(app, "alice")
    bob, bob_csrf = await _page_client(app, "bob")
    url = "/console/faq/passport-lost-abroad"
    try:
        await alice.get(f"{url}/history")  # the import is recorded in history first, as any page view does
        _both_read_first(monkeypatch)
        responses = await asyncio.gather(
            alice.post(url, data=_entry_form(csrf, answer="李工：先报警。", draft_version="0")),
            bob.post(url, data=_entry_form(bob_csrf, answer="老王：先找使馆。", draft_version="0")),
        )
        assert sorted(r.status_code for r in responses) == [303, 409], [r.text[:300] for r in responses]
        lost = next(r for r in responses if r.status_code == 409)
        assert "在您打开此页之后保存了" in lost.text and 'id="draft-conflict"' in lost.text
    finally:
        await alice.aclose()
        await bob.aclose()


MISSED = [
    "想给家乡小学捐一批图书，找谁联系",
    "老家祖屋翻修要办什么手续",
    "侨批档案在哪里可以查到",
    "华侨农场的土地承包合同怎么续签",
    "归侨退休金补贴要准备什么材料",
]


async def test_the_missed_page_pages_its_groups(app, staff, services, wechat_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import console.pages.missed as missed_page

    monkeypatch.setattr(missed_page, "PAGE_SIZE", 2)
    for text in MISSED:
        await wechat_user().say(text)
    await services.activity.flush()
    sam, _ = await _page_client(app, "sam")
    try:
        first = (await sam.get("/console/missed")).text
        total = re.search(r"共 (\d+) 组 · 第 1 / (\d+) 页", first)
        assert total is not None, first
        groups, pages = int(total.group(1)), int(total.group(2))
        assert groups >= len(MISSED) and pages == -(-groups // 2)
        assert first.count('class="msg missed-group"') == 2 and 'class="prev-page"' not in first
        seen = re.findall(r'id="group-(\d+)"', first)
        for number in range(2, pages + 1):
            page = (await sam.get("/console/missed", params={"page": number})).text
            assert f"第 {number} / {pages} 页" in page and 'class="prev-page"' in page
            assert ('class="next-page"' in page) == (number < pages)
            seen += re.findall(r'id="group-(\d+)"', page)
        assert seen == [str(n) for n in range(1, groups + 1)]  # every group once, in order
        shown = "".join(
            [first] + [(await sam.get("/console/missed", params={"page": n})).text for n in range(2, pages + 1)]
        )
        assert all(text in shown for text in MISSED)
        beyond = await sam.get("/console/missed", params={"page": pages + 5})
        assert f"第 {pages} / {pages} 页" in beyond.text  # past the end: the last page
    finally:
        await sam.aclose()
