"""Alembic environment: the URL comes from the caller (``storage.migrate``), never from an ini file."""

from __future__ import annotations

from alembic import context

from storage.db import create_sync_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    # The engine's own pool (not a swapped-in NullPool): its first connection initialises the dialect
    # (server version), which reflection in batch migrations on SQLite needs. dispose() closes it after.
    engine = create_sync_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `qiaobot db upgrade` against a database")
run_migrations_online()
