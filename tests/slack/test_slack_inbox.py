"""rasa_addons.slack_inbox under contention: one store, one claim, per delivery.

Four processes (as four Rasa servers would) share one inbox, SQLite file or
PostgreSQL. All four receive the same deliveries at once: each is stored exactly once.
Then rows whose owner "died" (their lease ran out) are taken over by the four at once:
each row goes to exactly one of them, and a row that is still leased goes to nobody.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest

from tests.rasa_env import run_in_rasa_env
from tests.slack.peers import postgres_schema

SCRIPT = r"""
import json, sys, time, uuid
from multiprocessing import get_context
from rasa_addons.slack_inbox import InboxMessage, SlackInbox

URL, RUN = sys.argv[1], sys.argv[2]
KEYS = [f"{RUN}-{n}" for n in range(40)]

def receive(owner):
    inbox = SlackInbox(URL, 30, owner)
    return [k for k in KEYS if inbox.receive(InboxMessage(k, "U1", "hello", {"out_channel": "D1"}))]

def take_over(owner):
    # Until nothing is left to take (rows other runs left behind included).
    inbox = SlackInbox(URL, 30, owner)
    taken = []
    while batch := inbox.claim_expired(limit=5):
        taken += [m.key for m in batch]
        for message in batch:
            inbox.finish(message.key)
    return [key for key in taken if key.startswith(RUN)]

if __name__ == "__main__":
    pool = get_context("fork").Pool(4)  # before any connection exists, none is shared
    SlackInbox(URL, 30, "setup").release_all()  # creates the table
    stored = pool.map(receive, [f"p{n}" for n in range(4)])
    dead = SlackInbox(URL, 0.001, "dead")          # leases that run out at once
    live = SlackInbox(URL, 600, "alive")           # a lease that does not
    for key in KEYS[:20]:
        dead.receive(InboxMessage(key + "-orphan", "U1", "hi", {}))
    live.receive(InboxMessage(f"{RUN}-alive", "U1", "hi", {}))
    time.sleep(0.1)
    taken = pool.map(take_over, [f"q{n}" for n in range(4)])
    pool.close()
    live.finish(f"{RUN}-alive")
    for n, keys in enumerate(stored):  # answered, as their receivers would have
        for key in keys:
            SlackInbox(URL, 30, f"p{n}").finish(key)
    print(json.dumps({"stored": stored, "taken": taken}))
"""


def _check(url: str, run: str) -> None:
    result = run_in_rasa_env(SCRIPT, url, run)
    stored = [key for keys in result["stored"] for key in keys]
    assert sorted(stored) == sorted(f"{run}-{n}" for n in range(40))  # each once, none lost
    taken = [key for keys in result["taken"] for key in keys]
    # The 40 received rows were leased to their living receivers for 30 s: not taken.
    assert sorted(taken) == sorted(f"{run}-{n}-orphan" for n in range(20))
    assert f"{run}-alive" not in taken


def test_sqlite_inbox_stores_and_hands_out_each_delivery_once(tmp_path: Path) -> None:
    _check(f"sqlite:///{tmp_path / 'inbox.db'}", "sqlite")


@pytest.mark.postgres
def test_postgresql_inbox_stores_and_hands_out_each_delivery_once() -> None:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", 5432)) != 0:
            pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (scripts/services.sh start)")
    with postgres_schema() as (_, url):
        _check(url, f"pg{uuid.uuid4().hex[:8]}")


FIRST_DELIVERY = r"""
import json, sys
from multiprocessing import get_context
from rasa_addons.slack_inbox import InboxMessage, InboxUnavailableError, SlackInbox

URL = sys.argv[1]

def first_delivery(owner):
    # A fresh inbox: each process creates the table on its first delivery.
    try:
        return SlackInbox(URL, 30, owner).receive(InboxMessage("first", "U1", "hi", {}))
    except InboxUnavailableError as error:
        return str(error)

if __name__ == "__main__":
    with get_context("fork").Pool(6) as pool:
        print(json.dumps(pool.map(first_delivery, [f"p{n}" for n in range(6)])))
"""


@pytest.mark.postgres
def test_servers_starting_together_all_take_their_first_delivery() -> None:
    # PostgreSQL refuses the second of two simultaneous CREATE TABLEs even "IF NOT
    # EXISTS": a server that lost that race answered Slack's first delivery with 503.
    for _ in range(5):
        with postgres_schema() as (_, url):
            answers = run_in_rasa_env(FIRST_DELIVERY, url)
        assert sorted(answers, key=str) == [False] * 5 + [True], answers  # stored once
