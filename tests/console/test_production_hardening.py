"""Production hardening: Secure cookies whatever the base URL, forwarded headers believed only from trusted
proxies, API docs behind login, unguessable answer links, and the fake WeChat's controls kept local."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from itsdangerous import URLSafeTimedSerializer

from bot.app import create_app
from staff.accounts import create_staff
from tests.console.conftest import PASSWORD


def _client(app, host: str = "127.0.0.1", scheme: str = "http") -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(host, 50000))
    return httpx.AsyncClient(transport=transport, base_url=f"{scheme}://testserver")


@pytest_asyncio.fixture
async def production(make_services) -> AsyncIterator[tuple[object, object]]:  # type: ignore[no-untyped-def]
    # An http:// base URL on purpose: production cookies are Secure anyway (TLS ends at the proxy).
    services = await make_services(env="production", public_base_url="http://hotline.internal:8000")
    async with services.sessions() as session:
        create_staff(session, "sam", PASSWORD, "supervisor")
        await session.commit()
    yield services, create_app(services=services, run_jobs=False)


async def test_production_cookies_are_secure_whatever_the_base_url(production) -> None:  # type: ignore[no-untyped-def]
    _, app = production
    async with _client(app) as http:
        login = await http.post("/api/session", json={"username": "sam", "password": PASSWORD})
        assert login.status_code == 200
        assert "Secure" in login.headers["set-cookie"]
        form = await http.get("/console/login")
        assert "Secure" in form.headers["set-cookie"]  # the login form's CSRF cookie too


async def test_forwarded_proto_is_believed_only_from_trusted_proxies(app) -> None:  # type: ignore[no-untyped-def]
    # Embedded settings, http base URL: Secure only when a trusted proxy (loopback by default) says https.
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.20"}
    async with _client(app, "127.0.0.1") as via_proxy, _client(app, "203.0.113.5") as direct:
        assert "Secure" in (await via_proxy.get("/console/login", headers=headers)).headers["set-cookie"]
        assert "Secure" not in (await direct.get("/console/login", headers=headers)).headers["set-cookie"]
        assert "Secure" not in (await via_proxy.get("/console/login")).headers["set-cookie"]


async def test_a_forged_forwarded_for_does_not_buy_more_guesses(app, staff) -> None:  # type: ignore[no-untyped-def]
    async with _client(app, "203.0.113.5") as attacker, _client(app, "198.51.100.7") as user:
        for attempt in range(20):
            forged = {"X-Forwarded-For": f"10.0.{attempt}.1"}
            await attacker.post("/api/session", json={"username": "bob", "password": "guess"}, headers=forged)
        right = await attacker.post("/api/session", json={"username": "bob", "password": PASSWORD})
        assert right.status_code == 401  # throttled: the forged addresses were not believed
        assert (await user.post("/api/session", json={"username": "bob", "password": PASSWORD})).status_code == 200


async def test_api_docs_need_a_login_in_production(production) -> None:  # type: ignore[no-untyped-def]
    _, app = production
    async with _client(app, scheme="https") as http:  # the Secure session cookie travels over https only
        assert (await http.get("/openapi.json")).status_code == 401
        docs = await http.get("/docs")
        assert docs.status_code == 303 and docs.headers["location"].startswith("/console/login")
        assert (await http.get("/redoc")).status_code == 404
        assert (await http.post("/api/session", json={"username": "sam", "password": PASSWORD})).status_code == 200
        schema = await http.get("/openapi.json")
        assert schema.status_code == 200 and "/api/tickets" in schema.json()["paths"]
        assert (await http.get("/docs")).status_code == 200


async def test_embedded_docs_stay_public(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/openapi.json")).status_code == 200


async def test_answer_links_are_tokens_not_ticket_numbers(services, make_ticket, client) -> None:  # type: ignore[no-untyped-def]
    from tickets.answer_page import answer_link

    ticket = await make_ticket(answer="请携带护照原件办理。", state="answered", first_answered=services.clock.now())
    link = answer_link(services.settings, ticket)
    assert ticket.number not in link and len(ticket.answer_token) >= 40
    path = "/a/" + link.split("/a/", 1)[1]
    assert (await client.get(path)).status_code == 200
    # The old form, the number signed with the shipped embedded key: anyone could make it, so it is refused.
    forged = URLSafeTimedSerializer(services.settings.secret_key, salt="qiaobot.answer-link").dumps(ticket.number)
    assert (await client.get(f"/a/{forged}")).status_code == 404
    assert (await client.get(f"/a/{ticket.number}")).status_code == 404


async def test_old_signed_links_still_work_with_a_real_secret_key(make_services, make_ticket) -> None:  # type: ignore[no-untyped-def]
    services = await make_services(secret_key="Vq8-Zk3rT1yW6uN0pL4sH7jD2fG9bX5c-really-secret")
    ticket = await make_ticket(answer="答复", state="answered", first_answered=services.clock.now())
    signed = URLSafeTimedSerializer(services.settings.secret_key, salt="qiaobot.answer-link").dumps(ticket.number)
    async with _client(create_app(services=services, run_jobs=False)) as http:
        assert (await http.get(f"/a/{signed}")).status_code == 200


async def test_fake_wechat_controls_answer_loopback_only(make_services) -> None:  # type: ignore[no-untyped-def]
    services = await make_services(wechat_api_base="http://127.0.0.1:8000/fake-wechat")
    app = create_app(services=services, run_jobs=False)
    async with _client(app, "127.0.0.1") as local, _client(app, "203.0.113.5") as remote:
        assert (await local.get("/fake-wechat/_fake/messages")).status_code == 200
        assert (await remote.get("/fake-wechat/_fake/messages")).status_code == 403
        assert (await remote.post("/fake-wechat/_fake/interactions", json={"openid": "o1"})).status_code == 403
    production = create_app(services=await make_services(env="production", wechat_api_base="http://x/fake-wechat"))
    async with _client(production) as http:
        assert (await http.get("/fake-wechat/_fake/messages")).status_code == 404
        assert (await http.get("/simulator")).status_code == 404
