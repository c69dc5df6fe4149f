"""Engines and sessions of the partner store.

SQLite under ``var/`` by default, PostgreSQL when ``PA_DATABASE_URL`` says so. SQLite
runs in WAL mode with a busy timeout: readers never block the writer, and a write that
meets another process's write transaction waits for it instead of failing. The
schema is owned by the Alembic migrations in ``partners/migrations``;
``partners.prestart.init_db`` brings any database to the latest revision and seeds the
sample partners once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver for plain ``postgresql://`` URLs.

    SQLAlchemy's default PostgreSQL driver is psycopg2, which the project does not
    install; people naturally write the plain form.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


# How long a write waits for another connection's write transaction before failing;
# the app's transactions last milliseconds, so this is only ever reached by a stuck one.
SQLITE_BUSY_TIMEOUT_MS = 15_000


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # Persistent in the file; an in-memory database keeps its own mode ("memory").
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; SQLite gets foreign keys, WAL, a busy timeout.

    Args:
        url: SQLAlchemy URL (plain ``postgresql://`` is accepted).
        **kwargs: Passed on to ``sqlalchemy.create_engine``.

    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        _ensure_parent_dir(make_url(url).database or "")
        # FastAPI runs sync endpoints in a thread pool, so connections move threads.
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _ensure_parent_dir(database: str) -> None:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


@cache
def engine_for(url: str) -> Engine:
    """Return the process-wide engine for ``url`` (one pool per database)."""
    return create_db_engine(url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
