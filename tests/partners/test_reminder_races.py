"""Each reminder goes out once, however many runners race for it.

Three layers, each tested on its own: the send record's unique key (threads running
the reminders at once with no guard at all), the database guard of one run per slot
(two processes on one SQLite store, as two app processes), and the Redis lock (held
by another process: the run does not start). Real SQLite, the local Redis, the fake
Slack.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from partners.models import ReminderRun
from partners.reminders import outbox
from partners.reminders.run import run_once, run_reminders
from tests.fakes.fake_slack import FakeSlack
from tests.partners.reminder_fixtures import World, add_partner, days_before_end, new_world

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/3"


def local_redis() -> redis.Redis:
    """The local Redis, with timeouts: a stalled server fails the test instead of hanging it."""
    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)


def redis_or_skip() -> None:
    try:
        local_redis().ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")


@pytest.fixture
def world(tmp_path: Path, fake_slack: FakeSlack) -> World:
    return new_world(tmp_path, fake_slack)


def _users(world: World, partner_id: str, count: int) -> list[str]:
    users = [f"U{uuid.uuid4().hex[:10].upper()}" for _ in range(count)]
    add_partner(world.engine, partner_id, tier="Gold", slack_users=users)
    return users


def test_runners_racing_without_any_guard_send_each_reminder_once(
    world: World, fake_slack: FakeSlack
) -> None:
    users = _users(world, "P-RISK", 3) + _users(world, "P-RISK2", 2)
    now = days_before_end(30)
    together = threading.Barrier(6, timeout=60)

    def racer(_: int) -> dict:
        together.wait()
        return run_reminders(world.settings, world.engine, world.catalogue, now=now)

    with ThreadPoolExecutor(6) as pool:
        reports = list(pool.map(racer, range(6)))
    assert [len(fake_slack.posted(u)) for u in users] == [1] * len(users)
    assert sum(r["slack_sent"] for r in reports) == len(users)
    assert sum(r["web_stored"] for r in reports) == 2  # one web notice per partner
    # Two widgets opening at once: each notice is shown by one of them.
    with ThreadPoolExecutor(2) as pool:
        shown = list(pool.map(lambda _: outbox.take_unseen(world.engine, "P-RISK"), range(2)))
    assert sorted(len(s) for s in shown) == [0, 1]


def _race(world: World, fake: FakeSlack, lock_url: str, key: str, now: str) -> list[dict]:
    args = [world.url, fake.base_url, fake.token, lock_url, key, now]
    racers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.partners.reminder_racer", *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for racer in racers:
            assert racer.stdout is not None and racer.stdout.readline().strip() == "ready"
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        return [json.loads(r.communicate(timeout=300)[0].strip().splitlines()[-1]) for r in racers]
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.kill()


@pytest.mark.parametrize("lock", ["database", "redis"])
def test_two_app_processes_firing_the_same_hour_run_it_once(
    world: World, fake_slack: FakeSlack, lock: str
) -> None:
    lock_url = REDIS_URL if lock == "redis" else ""
    if lock_url:
        redis_or_skip()
    users = _users(world, "P-RISK", 2)
    now = days_before_end(30).replace(minute=0, second=4).isoformat()
    outcomes = _race(world, fake_slack, lock_url, f"pa-test-reminders-{uuid.uuid4().hex}", now)
    assert sorted(o["ran"] for o in outcomes) == [False, True], outcomes
    assert [len(fake_slack.posted(u)) for u in users] == [1, 1]
    with Session(world.engine) as session:
        assert len(session.scalars(select(ReminderRun)).all()) == 1
    # The same hour fired again later (a slow process): the slot ran already.
    again = _race(world, fake_slack, lock_url, f"pa-test-reminders-{uuid.uuid4().hex}", now)
    assert [o["ran"] for o in again] == [False, False]


def test_while_another_process_holds_the_redis_lock_no_run_starts(
    world: World, fake_slack: FakeSlack
) -> None:
    redis_or_skip()
    [user] = _users(world, "P-RISK", 1)
    key = f"pa-test-reminders-{uuid.uuid4().hex}"
    settings = world.settings.model_copy(
        update={"sync_lock_url": REDIS_URL, "reminders_lock_key": key}
    )
    holder = local_redis().lock(key, timeout=60)
    assert holder.acquire(blocking=False)
    try:
        held = run_once(
            settings,
            world.engine,
            world.catalogue,
            trigger="manual",
            actor="t",
            now=days_before_end(30),
        )
        assert held is None and fake_slack.posted(user) == []
    finally:
        holder.release()
    ran = run_once(
        settings,
        world.engine,
        world.catalogue,
        trigger="manual",
        actor="t",
        now=days_before_end(30),
    )
    assert ran is not None and ran.status == "ok" and len(fake_slack.posted(user)) == 1
    assert not local_redis().exists(key)  # released when the run ended
