"""ticket search: refuse a PostgreSQL database whose character classes do not know Chinese

``qiaobot_search_grams`` (migration 0014) splits text into words on ``[^[:alnum:]]``, which PostgreSQL
answers from the database's LC_CTYPE. Under ``C`` (or ``POSIX``) no Chinese character is a letter, so every
document and every Chinese term has no characters at all, and a two-character word would match every
ticket. This step stops the upgrade with a sentence instead (C.UTF-8, en_US.UTF-8 and zh_CN.UTF-8 work).

Revision ID: 0022_check_search_locale
Revises: 0021_tickets_due_index
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_check_search_locale"
down_revision = "0021_tickets_due_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    grams = conn.execute(sa.text("SELECT qiaobot_search_query_grams('护照')")).scalar_one()
    if list(grams or []) != ["护照"]:
        ctype = conn.execute(sa.text("SHOW lc_ctype")).scalar_one()
        raise RuntimeError(
            f"ticket search cannot read Chinese in this database (lc_ctype = {ctype}): create the database "
            "with a UTF-8 locale, e.g. CREATE DATABASE … TEMPLATE template0 LC_CTYPE 'C.UTF-8' "
            "LC_COLLATE 'C.UTF-8' ENCODING 'UTF8', and migrate again"
        )


def downgrade() -> None:
    pass
