"""Login, sessions, throttling, CSRF and roles, through the pages and the API as a browser would use them."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from staff import accounts as staff_accounts
from staff.accounts import REFUSED_MESSAGE, create_staff
from staff.passwords import WeakPasswordError, hash_password, verify_password
from tests.console.conftest import PASSWORD, csrf_of, page_login


def test_password_hash_is_argon2_and_verifies() -> None:
    hashed = hash_password("a long enough secret")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long enough secret")
    assert not verify_password(hashed, "a long enough secreT")
    assert not verify_password("not-a-hash", "whatever")


def test_create_staff_refuses_weak_password_and_unknown_role() -> None:
    class Bag:
        def __init__(self) -> None:
            self.items: list[object] = []

        def add(self, item: object) -> None:
            self.items.append(item)

    bag = Bag()
    with pytest.raises(WeakPasswordError):
        create_staff(bag, "carol", "short", "staff")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="角色"):
        create_staff(bag, "carol", PASSWORD, "root")  # type: ignore[arg-type]
    user = create_staff(bag, " carol ", PASSWORD, "admin")  # type: ignore[arg-type]
    assert bag.items == [user] and user.username == "carol" and user.can("supervisor")


async def test_pages_redirect_to_login_and_api_says_401(client) -> None:
    page = await client.get("/console/tickets?state=answered")
    assert page.status_code == 303
    assert page.headers["location"] == "/console/login?next=%2Fconsole%2Ftickets%3Fstate%3Danswered"
    assert (await client.get("/api/tickets")).status_code == 401


async def test_wrong_password_then_right_one(client, staff) -> None:
    wrong = await page_login(client, "alice", "not the password")
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.text
    assert "qiaobot_console" not in wrong.cookies
    unknown = await page_login(client, "nobody", PASSWORD)
    assert unknown.status_code == 401 and "用户名或密码错误" in unknown.text
    right = await page_login(client, "alice", PASSWORD, next_url="/console/stats")
    assert right.status_code == 303 and right.headers["location"] == "/console/stats"
    cookie = right.headers["set-cookie"]
    assert "qiaobot_console=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # http public URL
    assert (await client.get("/console/tickets")).status_code == 200


async def test_login_redirect_never_leaves_the_console(client, staff) -> None:
    response = await page_login(client, "alice", PASSWORD, next_url="//evil.example/console/")
    assert response.headers["location"] == "/console/tickets"


async def test_secure_cookie_when_served_over_https(make_services, staff) -> None:
    from bot.app import create_app
    from tests.console.conftest import with_console

    svc = await make_services(public_base_url="https://hotline.example.org")
    app = with_console(create_app(services=svc, run_jobs=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as http:
        async with svc.sessions() as session:
            create_staff(session, "tess", PASSWORD, "staff")
            await session.commit()
        response = await http.post("/api/session", json={"username": "tess", "password": PASSWORD})
    assert response.status_code == 200
    assert "Secure" in response.headers["set-cookie"]


async def test_backoff_after_the_free_failures_then_the_right_password_after_the_wait(
    client, staff, fake_clock
) -> None:
    for _ in range(5):
        assert (await page_login(client, "bob", "guess")).status_code == 401
    throttled = await page_login(client, "bob", PASSWORD)
    assert throttled.status_code == 401 and REFUSED_MESSAGE in throttled.text  # not 423: same as wrong
    api = await client.post("/api/session", json={"username": "bob", "password": PASSWORD})
    assert api.status_code == 401
    fake_clock.advance(seconds=31)  # the first back-off step is 30 s
    assert (await page_login(client, "bob", PASSWORD)).status_code == 303
    # The right password started the count over: five more mistakes are free again.
    for _ in range(5):
        assert (await page_login(client, "bob", "guess")).status_code == 401
    fake_clock.advance(seconds=31)
    assert (await page_login(client, "bob", PASSWORD)).status_code == 303


async def test_backoff_doubles(client, staff, fake_clock) -> None:
    for _ in range(6):  # five free, then one more after the first 30 s wait
        assert (await page_login(client, "bob", "guess")).status_code == 401
        if _ == 4:
            fake_clock.advance(seconds=31)
    fake_clock.advance(seconds=31)
    assert (await page_login(client, "bob", PASSWORD)).status_code == 401  # now 60 s
    fake_clock.advance(seconds=30)
    assert (await page_login(client, "bob", PASSWORD)).status_code == 303


async def test_an_attacker_elsewhere_does_not_lock_the_real_user_out(app, staff) -> None:
    attacker = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.66", 40000)), base_url="http://testserver"
    )
    user = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.7", 40001)), base_url="http://testserver"
    )
    async with attacker, user:
        for _ in range(30):
            assert (
                await attacker.post("/api/session", json={"username": "bob", "password": "guess"})
            ).status_code == 401
        assert (await attacker.post("/api/session", json={"username": "bob", "password": PASSWORD})).status_code == 401
        assert (await user.post("/api/session", json={"username": "bob", "password": PASSWORD})).status_code == 200


async def test_unknown_wrong_and_throttled_answer_alike(client, staff, monkeypatch) -> None:
    checked: list[str] = []
    real_verify, real_dummy = staff_accounts.verify_password, staff_accounts.verify_against_nothing

    def verify(password_hash: str, password: str) -> bool:
        checked.append("real")
        return real_verify(password_hash, password)

    def dummy(password: str) -> None:
        checked.append("dummy")
        real_dummy(password)

    monkeypatch.setattr(staff_accounts, "verify_password", verify)
    monkeypatch.setattr(staff_accounts, "verify_against_nothing", dummy)

    def answer(response: httpx.Response) -> tuple[int, str]:
        return response.status_code, response.text

    unknown = await client.post("/api/session", json={"username": "nobody", "password": "guess"})
    wrong = await client.post("/api/session", json={"username": "bob", "password": "guess"})
    assert (
        answer(unknown)
        == answer(wrong)
        == (401, json.dumps({"detail": REFUSED_MESSAGE}, ensure_ascii=False, separators=(",", ":")))
    )
    assert checked == ["dummy", "real"]  # an unknown name costs one argon2 verification too
    for name in ("nobody", "bob"):
        for _ in range(5):
            await client.post("/api/session", json={"username": name, "password": "guess"})
    throttled_unknown = await client.post("/api/session", json={"username": "nobody", "password": "guess"})
    throttled_real = await client.post("/api/session", json={"username": "bob", "password": PASSWORD})
    assert answer(throttled_unknown) == answer(throttled_real) == answer(wrong)
    pages = [await page_login(client, name, "guess") for name in ("nobody", "bob", "alice")]
    assert {page.status_code for page in pages} == {401}
    assert (
        len({_without_tokens(page.text, name) for page, name in zip(pages, ("nobody", "bob", "alice"), strict=True)})
        == 1
    )


def _without_tokens(html: str, username: str) -> str:
    html = re.sub(r'value="[A-Za-z0-9_-]{20,}"', 'value=""', html)
    return html.replace(f'value="{username}"', 'value=""')


async def test_login_form_needs_its_csrf_cookie(client, staff) -> None:
    response = await client.post(
        "/console/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert "qiaobot_console" not in response.cookies


async def test_form_post_without_or_with_wrong_csrf_is_403(client, staff, make_ticket) -> None:
    ticket = await make_ticket()
    await page_login(client, "alice", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    token = csrf_of(page.text)
    missing = await client.post(f"/console/tickets/{ticket.number}/note", data={"body": "hi"})
    assert missing.status_code == 403
    wrong = await client.post(f"/console/tickets/{ticket.number}/note", data={"body": "hi", "csrf_token": "x" + token})
    assert wrong.status_code == 403
    ok = await client.post(f"/console/tickets/{ticket.number}/note", data={"body": "hi", "csrf_token": token})
    assert ok.status_code == 303


async def test_api_write_needs_the_csrf_header(login, make_ticket) -> None:
    ticket = await make_ticket()
    alice = await login("alice")
    url = f"/api/tickets/{ticket.number}/notes"
    assert (await alice.http.post(url, json={"body": "x"})).status_code == 403
    assert (await alice.http.post(url, json={"body": "x"}, headers={"X-CSRF-Token": "nope"})).status_code == 403
    assert (await alice.http.post(url, json={"body": "x"}, headers=alice.headers())).status_code == 200


async def test_logout_ends_the_session(login) -> None:
    alice = await login("alice")
    cookie = alice.http.cookies.get("qiaobot_console")
    assert (await alice.http.delete("/api/session", headers=alice.headers())).status_code == 200
    alice.http.cookies.set("qiaobot_console", cookie or "")
    assert (await alice.http.get("/api/session")).status_code == 401


async def test_staff_cannot_do_supervisor_things(login, make_ticket) -> None:
    ticket = await make_ticket(answer="请联系当地使馆。", state="answered")
    alice, sam = await login("alice"), await login("sam")
    to_bob = {"assignee": "bob"}
    assert (
        await alice.http.post(f"/api/tickets/{ticket.number}/assign", json=to_bob, headers=alice.headers())
    ).status_code == 403
    own = await alice.http.post(
        f"/api/tickets/{ticket.number}/assign", json={"assignee": "alice"}, headers=alice.headers()
    )
    assert own.status_code == 200 and own.json()["assignee"] == "alice"
    # Staff may propose a ticket's answer for the FAQ (a draft); only a supervisor publishes it.
    drafted = await alice.http.post(f"/api/tickets/{ticket.number}/faq", json={"mode": "new"}, headers=alice.headers())
    assert drafted.status_code == 200 and drafted.json()["faq_id"] == "ticket-" + ticket.number.lower()
    publish = {"draft": str(drafted.json()["draft_id"]), "acknowledged": "1", "csrf_token": alice.csrf}
    assert (await alice.http.post("/console/faq/drafts/publish", data=publish)).status_code == 403
    assert (await alice.http.post("/api/deliveries/1/retry", headers=alice.headers())).status_code == 403
    by_sam = await sam.http.post(f"/api/tickets/{ticket.number}/assign", json=to_bob, headers=sam.headers())
    assert by_sam.status_code == 200 and by_sam.json()["assignee"] == "bob"
