"""One sync runner at a time: the database guard, two processes racing, the Redis lock.

Real parts: SQLite and PostgreSQL for the guard, two real processes firing the same
scheduled slot (tests/partners/sync_racer.py), and the local Redis with a key of the
test's own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from partners.db import create_db_engine
from partners.migrate import upgrade
from partners.models import SyncRun
from partners.sync import runs
from partners.sync.runner import RedisRunnerLock
from tests.partners.fixtures import postgres_schema
from tests.partners.sync_fixtures import (  # noqa: F401 - the `engine` and `serve` fixtures
    ROOT,
    ExportServer,
    export,
    export_server,
    sync_store,
)
from tests.ports import closed_port

REDIS_URL = "redis://127.0.0.1:6379/3"
HOUR = dt.timedelta(hours=1)


def test_the_database_guard_allows_one_running_run_and_each_slot_once(engine: Engine) -> None:
    first = runs.claim(engine, trigger="manual", source="s", actor="a", stale_after=HOUR)
    assert first is not None
    assert runs.claim(engine, trigger="manual", source="s", actor="b", stale_after=HOUR) is None
    runs.finish(engine, first.id, "ok", {})
    slot = "2026-12-05T02:15:00+00:00"
    fired = runs.claim(
        engine, trigger="scheduled", source="s", actor="x", slot=slot, stale_after=HOUR
    )
    assert fired is not None
    runs.finish(engine, fired.id, "no_change", {})
    # Another process firing the same slot after the first finished: still once.
    assert (
        runs.claim(engine, trigger="scheduled", source="s", actor="y", slot=slot, stale_after=HOUR)
        is None
    )
    # A run whose process died is taken as abandoned after the stale timeout.
    stuck = runs.claim(engine, trigger="manual", source="s", actor="a", stale_after=HOUR)
    assert stuck is not None
    later = dt.datetime.now(dt.timezone.utc) + 2 * HOUR
    taken = runs.claim(engine, trigger="manual", source="s", actor="b", stale_after=HOUR, now=later)
    assert taken is not None
    with Session(engine) as session:
        abandoned = session.get(SyncRun, stuck.id)
        assert abandoned is not None and abandoned.status == "failed"
        assert "abandoned" in abandoned.report


@pytest.mark.postgres
def test_concurrent_claims_on_postgres_give_one_runner() -> None:
    with postgres_schema(f"pa_sync_test_{os.getpid()}") as engine:
        upgrade(engine)
        for attempt in range(3):
            together = threading.Barrier(8)

            def claim(
                n: int, slot: str = f"slot-{attempt}", together: threading.Barrier = together
            ) -> runs.RunView | None:
                together.wait()
                return runs.claim(
                    engine, trigger="scheduled", source="s", actor=f"t{n}", slot=slot,
                    stale_after=HOUR,
                )  # fmt: skip

            with ThreadPoolExecutor(8) as pool:
                winners = [c for c in pool.map(claim, range(8)) if c is not None]
            assert len(winners) == 1
            runs.finish(engine, winners[0].id, "ok", {})


def race(database_urls: list[str], source: str, lock_url: str, key: str) -> list[dict]:
    """Start one racer per database URL, let them all go at once; their outcomes."""
    now = "2026-12-05T02:15:03+00:00"
    racers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.partners.sync_racer", url, source, lock_url, key, now],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for url in database_urls
    ]
    try:
        for racer in racers:
            assert racer.stdout is not None and racer.stdout.readline().strip() == "ready"
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        outcomes = [
            json.loads(racer.communicate(timeout=300)[0].strip().splitlines()[-1])
            for racer in racers
        ]
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.kill()
    return outcomes


def test_two_schedulers_in_two_processes_on_one_store_run_a_slot_once(
    engine: Engine, tmp_path: Path
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    outcomes = race([url, url], str(export(tmp_path / "drop")), "", "")
    assert sorted(o["ran"] for o in outcomes) == [False, True], outcomes
    with Session(engine) as session:
        slots = session.scalars(select(SyncRun.slot)).all()
    assert slots == ["2026-12-05T02:15:00+00:00"]


def test_two_processes_sharing_only_redis_run_once(
    tmp_path: Path, serve: type[ExportServer]
) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    # Two separate stores: only the Redis lock can keep the second process out while the
    # first one is still fetching from the (slow) source.
    urls = []
    for name in ("one", "two"):
        store = create_db_engine(f"sqlite:///{tmp_path / name}.db")
        upgrade(store)
        store.dispose()
        urls.append(f"sqlite:///{tmp_path / name}.db")
    server = serve(export(tmp_path / "drop"), delay=3.0)
    key = f"pa-test-sync-{uuid.uuid4().hex}"
    outcomes = race(urls, server.url, REDIS_URL, key)
    assert sorted(o["ran"] for o in outcomes) == [False, True], outcomes
    assert [o["status"] for o in outcomes if o["ran"]] == ["ok"]
    assert not redis.Redis.from_url(REDIS_URL).exists(key)  # released when the run ended


def test_the_redis_lock_excludes_a_second_holder_and_falls_back_when_redis_is_down() -> None:
    key = f"pa-test-sync-{uuid.uuid4().hex}"
    first, second = RedisRunnerLock(REDIS_URL, key, 60), RedisRunnerLock(REDIS_URL, key, 60)
    try:
        assert first.acquire() and not second.acquire()
        first.release()
        assert second.acquire()
    finally:
        second.release()
    down = RedisRunnerLock(f"redis://127.0.0.1:{closed_port()}/0", key, 60)
    assert down.acquire()  # the database guard decides alone
