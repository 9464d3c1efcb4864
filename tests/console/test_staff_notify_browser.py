"""Staff work in a real browser: the admins' staff page (add an account with its departments, openid and
on-duty flag, change its role, disable it, reset its password, the audit list)."""

from __future__ import annotations

from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from staff.accounts import create_staff
from staff.models import StaffUser
from staff.passwords import verify_password
from storage.db import create_sync_engine
from tests.console.conftest import PASSWORD
from tests.console.test_console_browser import CHROMIUM, CHROMIUM_ARGS, pytestmark
from tests.console.test_loop_browser import _login, loop_server
from tickets.routing_models import DepartmentMember

__all__ = ["loop_server", "pytestmark"]

NEW_PASSWORD = "a brand new passphrase"


def _add_admin(database_url: str) -> None:
    engine = create_sync_engine(database_url)
    with Session(engine) as session:
        create_staff(session, "ada", PASSWORD, "admin", display_name="管理员阿达")
        session.commit()
    engine.dispose()


def _account(database_url: str, username: str) -> tuple[StaffUser, set[str]]:
    engine = create_sync_engine(database_url)
    with Session(engine) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        departments = set(
            session.scalars(select(DepartmentMember.department).where(DepartmentMember.username == username)).all()
        )
    engine.dispose()
    assert user is not None
    return user, departments


def test_the_staff_page_in_the_browser(loop_server, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    base, _fake = loop_server
    _add_admin(database_url)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page: Page = browser.new_page()
            page.on("dialog", lambda dialog: dialog.accept())  # the confirm before disabling
            _login(page, base, "ada")
            page.click("header nav a:text('工作人员')")
            page.wait_for_url("**/console/staff")

            form = page.locator("#create-staff")
            form.locator("input[name=username]").fill("chen")
            form.locator("input[name=display_name]").fill("陈工")
            form.locator("select[name=role]").select_option("staff")
            form.locator("input[name=password]").fill(PASSWORD)
            form.locator("input[name=openid]").fill("oChenOpenid000000000000000ab")
            form.locator("input[name=on_duty]").check()
            form.locator("label:has-text('权益保障部') input").check()
            form.locator("button[type=submit]").click()
            page.wait_for_url("**done=created**")
            card = page.locator("#account-chen")
            assert "陈工" in card.inner_text() and "值班" in card.inner_text()
            chen, departments = _account(database_url, "chen")
            assert (chen.role, chen.on_duty, chen.wechat_openid) == ("staff", True, "oChenOpenid000000000000000ab")
            assert departments == {"rights"}

            # promote to dispatcher, move to 联络部 as well
            card.locator("select[name=role]").select_option("dispatcher")
            card.locator("label:has-text('联络部') input").check()
            card.locator("form.edit-staff button[type=submit]").click()
            page.wait_for_url("**done=changed**")
            chen, departments = _account(database_url, "chen")
            assert chen.role == "dispatcher" and departments == {"rights", "liaison"}

            # a weak new password is refused with the reason; a good one is set
            card = page.locator("#account-chen")
            card.locator("details.reset-password summary").click()
            card.locator("input[name=password]").fill("abcabcabcabc")
            card.locator("input[name=confirm]").fill("abcabcabcabc")
            card.locator("details.reset-password button[type=submit]").click()
            assert "过于简单" in page.inner_text("p.error")
            card = page.locator("#account-chen")
            card.locator("details.reset-password summary").click()
            card.locator("input[name=password]").fill(NEW_PASSWORD)
            card.locator("input[name=confirm]").fill(NEW_PASSWORD)
            card.locator("details.reset-password button[type=submit]").click()
            page.wait_for_url("**done=password**")
            assert verify_password(_account(database_url, "chen")[0].password_hash, NEW_PASSWORD)

            # disable: the card says so, and chen cannot log in
            page.locator("#account-chen form[action$='/active'] button").click()
            page.wait_for_url("**done=disabled**")
            assert "已停用" in page.locator("#account-chen").inner_text()
            assert not _account(database_url, "chen")[0].active

            audit = page.inner_text("#staff-audit")
            for words in (
                "创建账号 chen",
                "加入部门 chen：权益保障部",
                "角色：工作人员 → 分派员",
                "重置密码 chen",
                "停用账号 chen",
            ):
                assert words in audit, audit

            page.context.clear_cookies()
            page.goto(f"{base}/console/login")
            page.fill("#username", "chen")
            page.fill("#password", NEW_PASSWORD)
            page.click("#login-button")
            assert "/console/login" in page.url
        finally:
            browser.close()
