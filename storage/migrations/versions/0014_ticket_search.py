"""free-text search over tickets: numbers, questions, users' messages and staff notes, in Chinese

PostgreSQL: GIN indexes on the characters and character pairs (bigrams) of the text, built by an immutable
SQL function on the columns themselves, so whatever writes a row keeps its index entry (no trigger, no copy).
Why not pg_trgm: a trigram index cannot serve a two-character word, and most Chinese search words are two
characters (护照, 签证, 房产); measured at 100,000 tickets, ``LIKE '%护照%'`` fell back to a sequential scan
(2.1 s), which is the problem pg_bigm was written for. Pairs serve one- and two-character words exactly and
narrow longer ones, which the query then checks with ILIKE.

SQLite: FTS5 tables with the trigram tokenizer (SQLite >= 3.34), kept in step by triggers. A later migration
that rebuilds ``tickets`` or ``ticket_messages`` with ``batch_alter_table`` drops these triggers and must
create them again (``tests/console/test_ticket_search.py`` fails if it does not).

Revision ID: 0014_ticket_search
Revises: 0013_staff_management
Create Date: 2026-12-01
"""

import sqlite3

from alembic import op

revision = "0014_ticket_search"
down_revision = "0013_staff_management"
branch_labels = None
depends_on = None

# The message kinds staff search: users' additions, what they wrote before the hand-over, staff notes and
# staff's requests for more. Not the bot's replies or staff answers (mostly FAQ text, which matches everything).
SEARCHED_KINDS = "('user', 'context', 'note', 'ask')"

PG_FUNCTIONS = [
    # Every character and every pair of neighbouring characters within a word (a run of letters and digits).
    """
    CREATE OR REPLACE FUNCTION qiaobot_search_grams(doc text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
      SELECT coalesce(array_agg(DISTINCT g), '{}')
      FROM regexp_split_to_table(lower(doc), '[^[:alnum:]]+') AS w,
           LATERAL generate_series(1, length(w)) AS i,
           LATERAL (VALUES (substr(w, i, 1)), (substr(w, i, 2))) AS s(g)
    $$
    """,
    # What a searched term must contain: its pairs (a one-character word: the character).
    """
    CREATE OR REPLACE FUNCTION qiaobot_search_query_grams(term text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
      SELECT coalesce(array_agg(DISTINCT substr(w, i, 2)), '{}')
      FROM regexp_split_to_table(lower(term), '[^[:alnum:]]+') AS w,
           LATERAL generate_series(1, greatest(length(w) - 1, 1)) AS i
      WHERE w <> ''
    $$
    """,
]
PG_INDEXES = [
    "CREATE INDEX ix_tickets_search ON tickets USING gin (qiaobot_search_grams(number || ' ' || question))",
    "CREATE INDEX ix_ticket_messages_search ON ticket_messages USING gin (qiaobot_search_grams(body))"
    f" WHERE kind IN {SEARCHED_KINDS}",
    "CREATE INDEX ix_tickets_created ON tickets (created_at)",
]

SQLITE_TABLES = [
    # rowid = tickets.id; the ticket number and the question.
    "CREATE VIRTUAL TABLE ticket_search_questions USING fts5(doc, tokenize='trigram')",
    # rowid = ticket_messages.id (the message's ticket is read from ticket_messages, so a move needs nothing).
    "CREATE VIRTUAL TABLE ticket_search_messages USING fts5(doc, tokenize='trigram')",
]
SQLITE_TRIGGERS = [
    """CREATE TRIGGER ticket_search_q_insert AFTER INSERT ON tickets BEGIN
         INSERT INTO ticket_search_questions(rowid, doc) VALUES (new.id, new.number || ' ' || new.question);
       END""",
    """CREATE TRIGGER ticket_search_q_update AFTER UPDATE OF number, question ON tickets BEGIN
         DELETE FROM ticket_search_questions WHERE rowid = old.id;
         INSERT INTO ticket_search_questions(rowid, doc) VALUES (new.id, new.number || ' ' || new.question);
       END""",
    """CREATE TRIGGER ticket_search_q_delete AFTER DELETE ON tickets BEGIN
         DELETE FROM ticket_search_questions WHERE rowid = old.id;
       END""",
    f"""CREATE TRIGGER ticket_search_m_insert AFTER INSERT ON ticket_messages
         WHEN new.kind IN {SEARCHED_KINDS} BEGIN
         INSERT INTO ticket_search_messages(rowid, doc) VALUES (new.id, new.body);
       END""",
    f"""CREATE TRIGGER ticket_search_m_update AFTER UPDATE OF body, kind ON ticket_messages BEGIN
         DELETE FROM ticket_search_messages WHERE rowid = old.id;
         INSERT INTO ticket_search_messages(rowid, doc) SELECT new.id, new.body WHERE new.kind IN {SEARCHED_KINDS};
       END""",
    """CREATE TRIGGER ticket_search_m_delete AFTER DELETE ON ticket_messages BEGIN
         DELETE FROM ticket_search_messages WHERE rowid = old.id;
       END""",
]
SQLITE_BACKFILL = [
    "INSERT INTO ticket_search_questions(rowid, doc) SELECT id, number || ' ' || question FROM tickets",
    f"INSERT INTO ticket_search_messages(rowid, doc) SELECT id, body FROM ticket_messages WHERE kind IN {SEARCHED_KINDS}",
]


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for statement in PG_FUNCTIONS + PG_INDEXES:
            op.execute(statement)
        return
    if sqlite3.sqlite_version_info < (3, 34, 0):
        raise RuntimeError(
            f"ticket search needs SQLite 3.34 or newer (FTS5 trigram tokenizer); this Python has {sqlite3.sqlite_version}"
        )
    for statement in SQLITE_TABLES + SQLITE_BACKFILL + SQLITE_TRIGGERS:
        op.execute(statement)
    op.execute("CREATE INDEX ix_tickets_created ON tickets (created_at)")


def downgrade() -> None:
    conn = op.get_bind()
    op.execute("DROP INDEX ix_tickets_created")
    if conn.dialect.name == "postgresql":
        op.execute("DROP INDEX ix_ticket_messages_search")
        op.execute("DROP INDEX ix_tickets_search")
        op.execute("DROP FUNCTION qiaobot_search_query_grams(text)")
        op.execute("DROP FUNCTION qiaobot_search_grams(text)")
        return
    for name in ("q_insert", "q_update", "q_delete", "m_insert", "m_update", "m_delete"):
        op.execute(f"DROP TRIGGER ticket_search_{name}")
    op.execute("DROP TABLE ticket_search_messages")
    op.execute("DROP TABLE ticket_search_questions")
