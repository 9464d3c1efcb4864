"""ticket search: one search document per ticket (number, question, users' messages and staff notes)

Migration 0014 indexed the question and every message apart, so a search joined the two through a UNION of
ticket ids, and a common word (护照: 17,655 of 100,000 tickets) cost 1.0-1.75 s of SQL in counting and sorting
that union. Here each ticket has one row, ``ticket_search``, holding its searched texts joined by newlines
(a newline is no part of any term, so no match spans two texts), and one index over it:

PostgreSQL: ``ticket_search(ticket_id, state, department, created_at, doc)`` with ``doc`` lower-cased, a
GIN index of its characters and character pairs (``qiaobot_search_grams``, migration 0014), kept by triggers
on ``tickets`` and ``ticket_messages``. The ticket's state, department and received time are copied so the
queue's usual filters are checked on the rows the index finds, before any ticket is read (a common word
with filters: 25-90 ms of joining 17,000 tickets, measured). A trigger locks the ticket's row before it reads the messages again, so two transactions
adding messages to one ticket at once cannot leave either message out (each plpgsql statement takes a fresh
snapshot in READ COMMITTED). ``reverse(number)`` gets a pattern index, so a number's tail ("1201-0042") is a
range scan rather than a check of every row (digit pairs are in every ticket).

SQLite: ``ticket_search`` is an FTS5 trigram table (rowid = tickets.id) with the same document, kept by
triggers. A later migration that rebuilds ``tickets`` or ``ticket_messages`` with ``batch_alter_table`` drops
these triggers and must create them again (``tests/console/test_ticket_search.py`` fails if it does not).

Revision ID: 0019_ticket_search_docs
Revises: 0018_attachment_playback
Create Date: 2026-12-01
"""

import sqlite3

from alembic import op

revision = "0019_ticket_search_docs"
down_revision = "0018_attachment_playback"
branch_labels = None
depends_on = None

SEARCHED_KINDS = "('user', 'context', 'note', 'ask')"  # as in migration 0014 and tickets.search

PG_UPGRADE = [
    """
    CREATE TABLE ticket_search (
      ticket_id bigint PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
      state varchar(16) NOT NULL,
      department varchar(32),
      created_at timestamptz NOT NULL,
      doc text NOT NULL
    )
    """,
    # The document of one ticket as the triggers and the backfill write it (NULL when the ticket is gone).
    f"""
    CREATE FUNCTION qiaobot_search_doc(tid bigint) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT lower(t.number || E'\\n' || t.question || coalesce(E'\\n' || (
          SELECT string_agg(m.body, E'\\n' ORDER BY m.id) FROM ticket_messages m
          WHERE m.ticket_id = t.id AND m.kind IN {SEARCHED_KINDS}), ''))
      FROM tickets t WHERE t.id = tid
    $$
    """,
    """
    CREATE FUNCTION qiaobot_search_refresh(tid bigint) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      d text;
    BEGIN
      PERFORM 1 FROM ticket_search WHERE ticket_id = tid FOR UPDATE;
      d := qiaobot_search_doc(tid);  -- read after the lock: sees what a concurrent writer committed
      IF d IS NOT NULL THEN
        UPDATE ticket_search SET doc = d WHERE ticket_id = tid AND doc IS DISTINCT FROM d;
      END IF;
    END $$
    """,
    """
    CREATE FUNCTION qiaobot_search_ticket_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO ticket_search (ticket_id, state, department, created_at, doc)
        VALUES (NEW.id, NEW.state, NEW.department, NEW.created_at, lower(NEW.number || E'\\n' || NEW.question));
        RETURN NULL;
      END IF;
      IF (NEW.state, NEW.department, NEW.created_at) IS DISTINCT FROM (OLD.state, OLD.department, OLD.created_at) THEN
        UPDATE ticket_search SET state = NEW.state, department = NEW.department, created_at = NEW.created_at
        WHERE ticket_id = NEW.id;
      END IF;
      IF (NEW.number, NEW.question) IS DISTINCT FROM (OLD.number, OLD.question) THEN
        PERFORM qiaobot_search_refresh(NEW.id);
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION qiaobot_search_message_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM qiaobot_search_refresh(OLD.ticket_id);
      END IF;
      IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.ticket_id <> OLD.ticket_id) THEN
        PERFORM qiaobot_search_refresh(NEW.ticket_id);
      END IF;
      RETURN NULL;
    END $$
    """,
    """CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets
       FOR EACH ROW EXECUTE FUNCTION qiaobot_search_ticket_trigger()""",
    """CREATE TRIGGER ticket_search_update AFTER UPDATE OF number, question, state, department, created_at ON tickets
       FOR EACH ROW EXECUTE FUNCTION qiaobot_search_ticket_trigger()""",
    f"""CREATE TRIGGER ticket_search_m_insert AFTER INSERT ON ticket_messages
       FOR EACH ROW WHEN (NEW.kind IN {SEARCHED_KINDS}) EXECUTE FUNCTION qiaobot_search_message_trigger()""",
    f"""CREATE TRIGGER ticket_search_m_update AFTER UPDATE OF body, kind, ticket_id ON ticket_messages
       FOR EACH ROW WHEN (OLD.kind IN {SEARCHED_KINDS} OR NEW.kind IN {SEARCHED_KINDS})
       EXECUTE FUNCTION qiaobot_search_message_trigger()""",
    f"""CREATE TRIGGER ticket_search_m_delete AFTER DELETE ON ticket_messages
       FOR EACH ROW WHEN (OLD.kind IN {SEARCHED_KINDS}) EXECUTE FUNCTION qiaobot_search_message_trigger()""",
    f"""
    INSERT INTO ticket_search (ticket_id, state, department, created_at, doc)
    SELECT t.id, t.state, t.department, t.created_at, lower(t.number || E'\\n' || t.question || coalesce(E'\\n' || m.bodies, ''))
    FROM tickets t LEFT JOIN (
      SELECT ticket_id, string_agg(body, E'\\n' ORDER BY id) AS bodies FROM ticket_messages
      WHERE kind IN {SEARCHED_KINDS} GROUP BY ticket_id
    ) m ON m.ticket_id = t.id
    """,
    "CREATE INDEX ix_ticket_search_grams ON ticket_search USING gin (qiaobot_search_grams(doc))",
    # The walk newest first (tickets.search.by_recency), over every state or over one.
    "CREATE INDEX ix_ticket_search_created ON ticket_search (created_at, ticket_id)",
    "CREATE INDEX ix_ticket_search_state_created ON ticket_search (state, created_at, ticket_id)",
    "CREATE INDEX ix_tickets_number_reversed ON tickets (reverse(number) text_pattern_ops)",
    "DROP INDEX ix_ticket_messages_search",
    "DROP INDEX ix_tickets_search",
    "ANALYZE ticket_search",
]
PG_DOWNGRADE = [
    "DROP TRIGGER ticket_search_m_delete ON ticket_messages",
    "DROP TRIGGER ticket_search_m_update ON ticket_messages",
    "DROP TRIGGER ticket_search_m_insert ON ticket_messages",
    "DROP TRIGGER ticket_search_update ON tickets",
    "DROP TRIGGER ticket_search_insert ON tickets",
    "DROP FUNCTION qiaobot_search_message_trigger()",
    "DROP FUNCTION qiaobot_search_ticket_trigger()",
    "DROP FUNCTION qiaobot_search_refresh(bigint)",
    "DROP FUNCTION qiaobot_search_doc(bigint)",
    "DROP TABLE ticket_search",
    "DROP INDEX ix_tickets_number_reversed",
    "CREATE INDEX ix_tickets_search ON tickets USING gin (qiaobot_search_grams(number || ' ' || question))",
    "CREATE INDEX ix_ticket_messages_search ON ticket_messages USING gin (qiaobot_search_grams(body))"
    f" WHERE kind IN {SEARCHED_KINDS}",
]


def _sqlite_doc(ticket_id: str) -> str:
    """The SQLite expression of one ticket's document (NULL when the ticket is gone)."""
    return f"""(SELECT t.number || char(10) || t.question || coalesce(char(10) || (
        SELECT group_concat(m.body, char(10)) FROM ticket_messages m
        WHERE m.ticket_id = t.id AND m.kind IN {SEARCHED_KINDS}), '')
      FROM tickets t WHERE t.id = {ticket_id})"""


def _sqlite_refresh(ticket_id: str) -> str:
    return f"UPDATE ticket_search SET doc = {_sqlite_doc(ticket_id)} WHERE rowid = {ticket_id};"


SQLITE_TRIGGERS = [
    """CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets BEGIN
         INSERT INTO ticket_search(rowid, doc) VALUES (new.id, new.number || char(10) || new.question);
       END""",
    f"""CREATE TRIGGER ticket_search_update AFTER UPDATE OF number, question ON tickets BEGIN
         {_sqlite_refresh("new.id")}
       END""",
    """CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets BEGIN
         DELETE FROM ticket_search WHERE rowid = old.id;
       END""",
    f"""CREATE TRIGGER ticket_search_m_insert AFTER INSERT ON ticket_messages
         WHEN new.kind IN {SEARCHED_KINDS} BEGIN
         {_sqlite_refresh("new.ticket_id")}
       END""",
    f"""CREATE TRIGGER ticket_search_m_update AFTER UPDATE OF body, kind, ticket_id ON ticket_messages
         WHEN old.kind IN {SEARCHED_KINDS} OR new.kind IN {SEARCHED_KINDS} BEGIN
         {_sqlite_refresh("old.ticket_id")}
         {_sqlite_refresh("new.ticket_id")}
       END""",
    f"""CREATE TRIGGER ticket_search_m_delete AFTER DELETE ON ticket_messages
         WHEN old.kind IN {SEARCHED_KINDS} BEGIN
         {_sqlite_refresh("old.ticket_id")}
       END""",
]
OLD_SQLITE_TRIGGERS = ("q_insert", "q_update", "q_delete", "m_insert", "m_update", "m_delete")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for statement in PG_UPGRADE:
            op.execute(statement)
        return
    if sqlite3.sqlite_version_info < (3, 34, 0):
        raise RuntimeError(
            f"ticket search needs SQLite 3.34 or newer (FTS5 trigram tokenizer); this Python has {sqlite3.sqlite_version}"
        )
    for name in OLD_SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS ticket_search_{name}")
    op.execute("DROP TABLE ticket_search_messages")
    op.execute("DROP TABLE ticket_search_questions")
    op.execute("CREATE VIRTUAL TABLE ticket_search USING fts5(doc, tokenize='trigram')")
    op.execute(f"INSERT INTO ticket_search(rowid, doc) SELECT id, {_sqlite_doc('tickets.id')} FROM tickets")
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for statement in PG_DOWNGRADE:
            op.execute(statement)
        return
    for name in ("insert", "update", "delete", "m_insert", "m_update", "m_delete"):
        op.execute(f"DROP TRIGGER ticket_search_{name}")
    op.execute("DROP TABLE ticket_search")
    # Migration 0014's tables and triggers, filled again.
    from importlib import import_module

    previous = import_module("storage.migrations.versions.0014_ticket_search")
    for statement in previous.SQLITE_TABLES + previous.SQLITE_BACKFILL + previous.SQLITE_TRIGGERS:
        op.execute(statement)
