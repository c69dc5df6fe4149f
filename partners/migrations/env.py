"""Alembic environment: runs migrations through the engine partners.migrate passes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from partners.migrate import target_metadata as _all_tables

target_metadata = _all_tables()

# Several app processes (pods) starting together all migrate the same PostgreSQL
# database; without a lock two of them may run the same step and one fails on a
# duplicate key. A transaction-level advisory lock makes them take turns: the next one
# reads the version table after the first committed and finds nothing left to do.
MIGRATION_LOCK_KEY = 72_616_401  # any constant shared by every process of the store


def run_migrations_online() -> None:
    engine: Engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            # SQLite cannot ALTER most things; batch mode recreates tables instead.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"))
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_migrations_online()
