"""Staff work in a real browser: the admins' staff page (add an account with its departments, openid and
on-duty flag, change its role, disable it, reset its password, the audit list), and a department's canned
replies kept on their page and inserted into an answer at the cursor."""

from __future__ import annotations

import secrets

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
from tickets.models import Ticket
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


CANNED_BODY = "请携带本人护照原件及复印件，到当地中国驻外使领馆办理。"


def test_canned_replies_are_kept_and_inserted_into_the_answer_in_the_browser(loop_server, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    from tests.console.test_console_browser import _say
    from tests.console.test_loop_browser import SEARCH_FOR_FAMILY, _ticket

    base, _fake = loop_server
    openid = "o_canned_" + secrets.token_hex(4)
    _say(base, openid, SEARCH_FOR_FAMILY)
    ticket = _ticket(database_url, openid)
    # In 联络部, alice's department, wherever its category routed it (that follows the KB's vocabulary).
    engine = create_sync_engine(database_url)
    with Session(engine) as session:
        row = session.get(Ticket, ticket.id)
        assert row is not None
        row.department = "liaison"
        session.commit()
    engine.dispose()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page: Page = browser.new_page()
            _login(page, base, "alice")
            page.click("header nav a:text('常用回复')")
            page.wait_for_url("**/console/replies")
            form = page.locator("#add-reply")
            form.locator("select[name=department]").select_option("liaison")
            form.locator("input[name=title]").fill("使领馆办理")
            form.locator("textarea[name=body]").fill(CANNED_BODY)
            form.locator("button[type=submit]").click()
            page.wait_for_url("**done=added**")
            assert page.locator("#replies-liaison input[name=title]").input_value() == "使领馆办理"

            page.goto(f"{base}/console/tickets/{ticket.number}")
            answer = page.locator("#answer-text")
            answer.fill("您好！\n\n如有疑问请再联系我们。")
            answer.evaluate("el => { el.focus(); el.setSelectionRange(5, 5); }")  # on the empty line
            page.click("#canned-replies li:has-text('使领馆办理') button")
            assert answer.input_value() == f"您好！\n\n{CANNED_BODY}\n如有疑问请再联系我们。"
            page.click("#send-answer")
            page.wait_for_url("**done=answered")
            assert CANNED_BODY in (_ticket(database_url, openid).answer or "")
        finally:
            browser.close()


def test_new_tickets_appear_in_the_queue_and_badge_without_a_reload(loop_server, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    from tests.console.test_console_browser import _say
    from tests.console.test_loop_browser import SEARCH_FOR_FAMILY, _ticket

    base, _fake = loop_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page: Page = browser.new_page()
            # A supervisor's queue and badge cover every queue: where the FAQ's related entries route the
            # question (it changes with the KB's vocabulary) does not matter here.
            _login(page, base, "sam")
            assert page.locator("#new-tickets-badge").is_hidden()
            page.evaluate("window.__sameDocument = true")  # gone if the page reloads
            openid = "o_live_" + secrets.token_hex(4)
            _say(base, openid, SEARCH_FOR_FAMILY)  # a new ticket while sam looks at the queue
            ticket = _ticket(database_url, openid)
            # The page polls every 3 s: the new ticket shows within a few seconds (it was 10 s before).
            page.wait_for_selector(f"#queue-table a:text('{ticket.number}')", timeout=8_000)
            assert page.inner_text("#new-tickets-badge") == "1" and page.locator("#new-tickets-badge").is_visible()
            assert "队列已更新" in page.inner_text("#queue-live")
            assert page.evaluate("window.__sameDocument") is True
        finally:
            browser.close()


def test_on_duty_staff_hear_of_a_webhook_ticket_within_seconds(settings, database_url: str, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    """The served app with its in-process worker: the template message to the on-duty member goes out well
    before the delivery sweeper's first look at the row (every 15 s, rows older than 30 s)."""
    import time

    from tests.console.test_console_browser import _say
    from tests.console.test_loop_browser import SEARCH_FOR_FAMILY, _ticket, serving

    with serving(settings, database_url, redis_url, wechat_staff_template_id="TPL_STAFF_LIVE") as (base, fake):
        engine = create_sync_engine(database_url)
        with Session(engine) as session:
            # On duty with bound openids: alice in every department, dora for the dispatcher's queue, so the
            # ticket's queue has someone to tell wherever its category routes it.
            for username, openid in (("alice", "o_staff_alice_live"), ("dora", "o_staff_dora_live")):
                user = session.scalar(select(StaffUser).where(StaffUser.username == username))
                assert user is not None
                user.on_duty, user.wechat_openid = True, openid
            mine = set(session.scalars(select(DepartmentMember.department).where(DepartmentMember.username == "alice")))
            for code in {"liaison", "rights", "economy", "culture", "office"} - mine:
                session.add(DepartmentMember(department=code, username="alice"))
            session.commit()
        engine.dispose()
        fake.add_follower("o_staff_alice_live")
        fake.add_follower("o_staff_dora_live")
        openid = "o_live_notice_" + secrets.token_hex(4)
        asked = time.monotonic()
        reply = _say(base, openid, SEARCH_FOR_FAMILY)
        answered = time.monotonic() - asked
        assert "留言编号" in reply
        while not fake.templates_sent:
            assert time.monotonic() - asked < 10, "no template message within 10 s"
            time.sleep(0.05)
        told = time.monotonic() - asked
        [notice] = fake.templates_sent
        expected = "o_staff_dora_live" if _ticket(database_url, openid).department is None else "o_staff_alice_live"
        assert notice.openid == expected and notice.template_id == "TPL_STAFF_LIVE"
        assert told < 10, (answered, told)  # wall time on a shared machine; the sweeper would take 30-45 s
        time.sleep(0.5)
        assert len(fake.templates_sent) == 1
