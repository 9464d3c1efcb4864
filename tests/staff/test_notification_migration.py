"""Migration 0006 folds greeting notices into the one staff notification table, and back on downgrade."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from storage.migrate import downgrade, upgrade

CAMPAIGN = (
    "INSERT INTO greeting_campaigns (id, festival, festival_date, mode, text_hans, text_hant, msgtype, state, "
    "version, reminders_sent, created_by, created_at, updated_at) VALUES (7, '春节', '2027-02-06', 'mass', "
    "'快乐', '快樂', 'text', 'draft', 1, 0, 'system', '2026-12-01 01:00:00', '2026-12-01 01:00:00')"
)
NOTICE = (
    "INSERT INTO greeting_notices (key, campaign_id, send_id, kind, level, text, created_at, read_at) VALUES "
    "('reminder:7:1', 7, NULL, 'reminder', 'warning', '尚未审批', '2026-12-01 02:00:00', NULL)"
)


def test_greeting_notices_become_supervisor_notifications_and_come_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0005_one_open_ticket")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(CAMPAIGN))
        conn.execute(text(NOTICE))
    upgrade(url, "0006_one_notification_table")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT recipient, kind, level, key, campaign_id, text, read_at FROM staff_notifications")
        ).all()
        tables = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).scalars())
    assert [tuple(r) for r in rows] == [("role:supervisor", "reminder", "warning", "reminder:7:1", 7, "尚未审批", None)]
    assert "greeting_notices" not in tables

    downgrade(url, "0005_one_open_ticket")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT key, campaign_id, kind, level, text FROM greeting_notices")).all()
        left = conn.execute(text("SELECT count(*) FROM staff_notifications")).scalar()
    engine.dispose()
    assert [tuple(r) for r in back] == [("reminder:7:1", 7, "reminder", "warning", "尚未审批")]
    assert left == 0
