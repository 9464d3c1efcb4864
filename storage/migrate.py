"""Run Alembic migrations from code, so ``qiaobot db upgrade``, ``make run`` and tests share one path."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def schema_behind(url: str) -> tuple[str | None, str] | None:
    """``(current, head)`` when the database is not at the newest revision (``current`` None: never migrated).

    The CLI asks this when a command fails on the database, to say "run `qiaobot db upgrade` first" instead
    of showing SQLAlchemy's traceback about a missing table.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from storage.db import create_sync_engine

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head() or ""
    engine = create_sync_engine(url)
    quiet = logging.getLogger("alembic.runtime.migration")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # "Context impl SQLiteImpl." says nothing to someone who asked for no migration
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        quiet.setLevel(level)
        engine.dispose()
    return None if current == head else (current, head)
