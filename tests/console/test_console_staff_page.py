"""The admins' staff page: add an account (with departments, openid, on duty), change it, disable and enable
it, reset its password; who may; the rules that keep an admin on the page; and the audit of all of it."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from console.models import ConsoleSession
from staff.accounts import create_staff
from staff.models import StaffAudit, StaffUser
from staff.passwords import verify_password
from tests.console.conftest import PASSWORD, csrf_of, page_login
from tickets.routing_models import DepartmentMember

NEW_PASSWORD = "another long passphrase"


async def _admin_client(app, services, username: str = "ada") -> tuple[httpx.AsyncClient, str]:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        create_staff(session, username, PASSWORD, "admin", display_name="Ada")
        await session.commit()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    await page_login(http, username, PASSWORD)
    page = await http.get("/console/staff")
    assert page.status_code == 200, page.text
    return http, csrf_of(page.text)


async def _user(services, username: str) -> StaffUser:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.username == username))
        assert user is not None
        return user


async def _audit(services) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        rows = await session.scalars(select(StaffAudit).order_by(StaffAudit.id))
        return [(a.actor, a.target, a.action) for a in rows]


async def _departments(services, username: str) -> set[str]:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        rows = await session.scalars(select(DepartmentMember.department).where(DepartmentMember.username == username))
        return set(rows.all())


async def test_admin_adds_changes_disables_and_resets_an_account(app, services, staff) -> None:  # type: ignore[no-untyped-def]
    http, csrf = await _admin_client(app, services)
    created = await http.post(
        "/console/staff",
        data={
            "csrf_token": csrf,
            "username": "lin",
            "display_name": "林主任",
            "role": "dispatcher",
            "password": PASSWORD,
            "openid": "oLinOpenid0000000000000000ab",
            "on_duty": "1",
            "departments": ["liaison", "rights"],
        },
    )
    assert created.status_code == 303
    lin = await _user(services, "lin")
    assert (lin.role, lin.display_name, lin.on_duty, lin.active) == ("dispatcher", "林主任", True, True)
    assert lin.wechat_openid == "oLinOpenid0000000000000000ab"
    assert lin.password_hash.startswith("$argon2id$")
    assert await _departments(services, "lin") == {"liaison", "rights"}
    page = await http.get("/console/staff?done=created")
    assert "账号已创建" in page.text and "林主任" in page.text and "加入部门" in page.text

    changed = await http.post(
        "/console/staff/lin",
        data={
            "csrf_token": csrf,
            "display_name": "林主任",
            "role": "supervisor",
            "openid": "",
            "departments": ["rights"],
        },
    )
    assert changed.status_code == 303 and "done=changed" in changed.headers["location"]
    lin = await _user(services, "lin")
    assert (lin.role, lin.on_duty, lin.wechat_openid) == ("supervisor", False, None)
    assert await _departments(services, "lin") == {"rights"}
    page = await http.get("/console/staff")
    assert "角色：分派员 → 主管" in page.text and "值班：是 → 否" in page.text and "微信 openid：已解除" in page.text

    # lin logs in, then is disabled: the session stops working at once
    lin_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    await page_login(lin_http, "lin", PASSWORD)
    assert (await lin_http.get("/console/tickets")).status_code == 200
    disabled = await http.post("/console/staff/lin/active", data={"csrf_token": csrf, "active": "disable"})
    assert disabled.status_code == 303
    assert (await lin_http.get("/console/tickets")).status_code == 303  # back to the login form
    assert not (await _user(services, "lin")).active
    enabled = await http.post("/console/staff/lin/active", data={"csrf_token": csrf, "active": "enable"})
    assert enabled.status_code == 303 and (await _user(services, "lin")).active

    # a password reset follows the password rules and logs the account out everywhere
    await page_login(lin_http, "lin", PASSWORD)
    weak = await http.post(
        "/console/staff/lin/password", data={"csrf_token": csrf, "password": "short", "confirm": "short"}
    )
    assert weak.status_code == 400 and "至少需要 10 个字符" in weak.text
    mismatch = await http.post(
        "/console/staff/lin/password",
        data={"csrf_token": csrf, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"},
    )
    assert mismatch.status_code == 400 and "不一致" in mismatch.text
    reset = await http.post(
        "/console/staff/lin/password", data={"csrf_token": csrf, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert reset.status_code == 303
    lin = await _user(services, "lin")
    assert verify_password(lin.password_hash, NEW_PASSWORD) and not verify_password(lin.password_hash, PASSWORD)
    async with services.sessions() as session:
        assert (await session.scalars(select(ConsoleSession).where(ConsoleSession.staff_id == lin.id))).all() == []
    assert (await lin_http.get("/console/tickets")).status_code == 303
    assert (await page_login(lin_http, "lin", NEW_PASSWORD)).status_code == 303
    assert (await lin_http.get("/console/tickets")).status_code == 200
    await lin_http.aclose()

    audit = await _audit(services)
    assert [a for _, _, a in audit] == [
        "created",
        "department_added",
        "department_added",
        "changed",
        "department_removed",
        "disabled",
        "enabled",
        "password_reset",
    ]
    assert {actor for actor, _, _ in audit} == {"ada"} and {target for _, target, _ in audit} == {"lin"}
    async with services.sessions() as session:
        details = [a.detail for a in (await session.scalars(select(StaffAudit))).all()]
    assert PASSWORD not in str(details) and NEW_PASSWORD not in str(details)
    await http.aclose()


async def test_bad_input_is_refused_with_the_reason_and_the_draft_kept(app, services, staff) -> None:  # type: ignore[no-untyped-def]
    http, csrf = await _admin_client(app, services)
    base = {"csrf_token": csrf, "display_name": "新同事", "role": "staff", "password": PASSWORD, "openid": ""}
    duplicate = await http.post("/console/staff", data={**base, "username": "alice"})
    assert duplicate.status_code == 400 and "用户名 alice 已存在" in duplicate.text
    assert 'value="新同事"' in duplicate.text  # what the admin typed is still there (never the password)
    assert PASSWORD not in duplicate.text
    spaced = await http.post("/console/staff", data={**base, "username": "two words"})
    assert spaced.status_code == 400 and "不能含空格" in spaced.text
    weak = await http.post("/console/staff", data={**base, "username": "newbie", "password": "aaaaaaaaaaaa"})
    assert weak.status_code == 400 and "过于简单" in weak.text
    openid = await http.post("/console/staff", data={**base, "username": "newbie", "openid": "not an openid!"})
    assert openid.status_code == 400 and "openid" in openid.text
    role = await http.post("/console/staff", data={**base, "username": "newbie", "role": "king"})
    assert role.status_code == 400 and "角色应为" in role.text
    department = await http.post("/console/staff", data={**base, "username": "newbie", "departments": ["nowhere"]})
    assert department.status_code == 400 and "nowhere" in department.text
    async with services.sessions() as session:
        assert await session.scalar(select(StaffUser).where(StaffUser.username == "newbie")) is None
    assert await _audit(services) == []  # refused changes leave no trace
    await http.aclose()


async def test_an_admin_cannot_lock_the_admins_out(app, services, staff) -> None:  # type: ignore[no-untyped-def]
    http, csrf = await _admin_client(app, services)
    self_disable = await http.post("/console/staff/ada/active", data={"csrf_token": csrf, "active": "disable"})
    assert self_disable.status_code == 403 and "不能停用自己" in self_disable.text
    self_demote = await http.post(
        "/console/staff/ada", data={"csrf_token": csrf, "display_name": "Ada", "role": "staff"}
    )
    assert self_demote.status_code == 403 and "不能取消自己的管理员角色" in self_demote.text
    # a second admin may demote the first, but then not the last one left
    other, other_csrf = await _admin_client(app, services, "bea")
    demoted = await other.post(
        "/console/staff/ada", data={"csrf_token": other_csrf, "display_name": "Ada", "role": "supervisor"}
    )
    assert demoted.status_code == 303
    async with services.sessions() as session:
        create_staff(session, "cy", PASSWORD, "admin")
        await session.commit()
    disabled = await other.post("/console/staff/cy/active", data={"csrf_token": other_csrf, "active": "disable"})
    assert disabled.status_code == 303
    last = await other.post("/console/staff/cy", data={"csrf_token": other_csrf, "display_name": "", "role": "staff"})
    assert last.status_code == 303  # cy is disabled: bea is still the active admin
    assert (await _user(services, "bea")).role == "admin"
    await http.aclose()
    await other.aclose()


async def test_only_admins_see_or_use_the_staff_page(app, services, staff) -> None:  # type: ignore[no-untyped-def]
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    await page_login(http, "sam", PASSWORD)  # a supervisor
    queue = await http.get("/console/tickets")
    assert 'href="/console/staff"' not in queue.text
    assert (await http.get("/console/staff")).status_code == 403
    refused = await http.post(
        "/console/staff/alice/active", data={"csrf_token": csrf_of(queue.text), "active": "disable"}
    )
    assert refused.status_code == 403 and (await _user(services, "alice")).active
    no_csrf = await http.post("/console/staff/alice/active", data={"active": "disable"})
    assert no_csrf.status_code == 403
    await http.aclose()
