"""The public answer page and the simulator carry a strict CSP, X-Frame-Options and Referrer-Policy, like
the console; the policy's hashes match the inline style and script the pages really have."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx

from bot.app import create_app


def _hashes(csp: str, directive: str) -> set[str]:
    found = re.search(rf"{directive} ([^;]+)", csp)
    assert found is not None, csp
    return {part.strip("'") for part in found.group(1).split()}


def _sha(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()


async def test_answer_page_headers(client) -> None:  # type: ignore[no-untyped-def]
    for path in (
        "/a/" + "x" * 43,
        "/a/short",
    ):  # the not-found page (the answer itself: below)  # the answer, and the not-found page
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        style = response.text.split("<style>", 1)[1].split("</style>", 1)[0]
        assert _hashes(csp, "style-src") == {_sha(style)}
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


async def test_simulator_headers(make_services) -> None:  # type: ignore[no-untyped-def]
    services = await make_services(wechat_api_base="http://127.0.0.1:8000/fake-wechat")
    app = create_app(services=services, run_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/simulator")
    csp = response.headers["content-security-policy"]
    script = response.text.split("<script>", 1)[1].split("</script>", 1)[0]
    style = response.text.split("<style>", 1)[1].split("</style>", 1)[0]
    assert _hashes(csp, "script-src") == {_sha(script)} and _hashes(csp, "style-src") == {_sha(style)}
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY" and response.headers["referrer-policy"] == "same-origin"


async def test_console_pages_keep_their_headers(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/console/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


async def test_an_answer_carries_the_same_headers(services, client) -> None:  # type: ignore[no-untyped-def]
    from tickets.models import Ticket

    now = services.clock.now()
    async with services.sessions() as session:
        ticket = Ticket(
            number="Q20261123-0001",
            openid="o_h",
            source_key="t:h",
            state="answered",
            question="问",
            script="hans",
            created_at=now,
            due_at=now,
            answer="答复",
            answered_at=now,
            first_answered_at=now,
        )
        session.add(ticket)
        await session.commit()
        token = ticket.answer_token
    response = await client.get(f"/a/{token}")
    assert response.status_code == 200 and "答复" in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
