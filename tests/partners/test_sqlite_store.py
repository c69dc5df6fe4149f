"""The SQLite partner store under concurrent use: writes wait, readers never block them.

Several app threads (and `make run`'s app beside a script) use one SQLite file. In
WAL mode with a busy timeout, a write that meets another connection's write
transaction waits for it, and a long read never makes a writer fail.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from partners.db import create_db_engine
from partners.migrate import upgrade
from partners.models import Partner


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    """A migrated, empty SQLite store."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'partners.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _add_partner(engine: Engine, partner_id: str) -> None:
    with Session(engine) as session:
        session.add(Partner(id=partner_id, name=partner_id, country="DE", tier="Silver"))
        session.commit()


def test_a_write_waits_for_another_write_while_a_long_read_is_open(engine: Engine) -> None:
    reader = engine.raw_connection()  # a long report, say: its read transaction stays open
    writer = engine.raw_connection()
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM partners").fetchone() == (0,)
        writer.execute("BEGIN IMMEDIATE")  # holds the write lock until it commits
        writer.execute(
            "INSERT INTO partners (id, name, country, tier) VALUES ('P-1', 'a', 'DE', 'Gold')"
        )

        second = threading.Event()
        with ThreadPoolExecutor(1) as pool:

            def second_write() -> None:
                second.set()
                _add_partner(engine, "P-2")  # must wait for the first writer, not fail

            waiting = pool.submit(second_write)
            second.wait()
            # The second write is waiting on the lock; the first one commits while
            # the reader still holds its old snapshot.
            assert not waiting.done() or waiting.exception() is None
            writer.commit()
            waiting.result(timeout=60)  # raises "database is locked" if it gave up
        assert reader.execute("SELECT count(*) FROM partners").fetchone() == (0,)
    finally:
        reader.rollback()
        reader.close()
        writer.close()
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Partner)) == 2


def test_the_store_file_is_in_wal_mode(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
