"""Console pages as a newcomer reads them: names people know, a notifications page that says what it is for,
and FAQ drafts without the bot's instructions (the layout itself is checked in a browser)."""

from __future__ import annotations

from tests.console.conftest import PASSWORD, page_login


async def test_assignee_is_the_display_name_on_queue_and_ticket(client, staff, make_ticket) -> None:
    ticket = await make_ticket(assignee="bob")
    await page_login(client, "sam", PASSWORD)
    queue = (await client.get("/console/tickets")).text
    assert '<td data-label="负责人" class="assignee">Bob</td>' in queue
    page = (await client.get(f"/console/tickets/{ticket.number}")).text
    assert '<dd id="assignee">Bob</dd>' in page


async def test_notifications_page_says_what_it_shows_and_points_at_new_tickets(client, staff, make_ticket) -> None:
    for _ in range(5):
        await make_ticket()
    await make_ticket(assignee="alice")
    await page_login(client, "alice", PASSWORD)
    page = (await client.get("/console/notifications")).text
    assert 'id="notifications-scope"' in page and "新工单不在这里提醒" in page
    assert '<strong id="unassigned-count">5</strong>' in page
    assert "答复期限前 2 小时" in page  # QIAOBOT_REMINDER_LEAD_MINUTES=120
    assert 'href="/console/tickets?assignee=-"' in page


async def test_faq_draft_leaves_out_the_bot_footer(client, staff, make_ticket, services) -> None:
    from dataclasses import replace

    from faq.kb import load_kb
    from faq.store import replace_entries
    from tests.console.conftest import KB_SMALL

    footer = "如需进一步帮助，可回复“人工”留言，我们将在2个工作日内答复。"
    entries = [replace(e, answer=e.answer + "\n\n" + footer) for e in load_kb(KB_SMALL)]
    replace_entries(entries, url=services.settings.database_url)
    await services.knowledge.refresh()
    ticket = await make_ticket("在国外护照丢了怎么办？")
    await page_login(client, "alice", PASSWORD)
    page = (await client.get(f"/console/tickets/{ticket.number}")).text
    shown, draft = page.split('id="faq-answer-1">', 1)[1], page.split('id="faq-draft-1">', 1)[1]
    assert footer in shown.split("</pre>", 1)[0]
    assert "人工" not in draft.split("</pre>", 1)[0]
