"""rasa_addons.channels.slack_inbox under contention: one store, one claim, per delivery.

Four processes (as four Rasa servers would) share one inbox, SQLite file or
PostgreSQL. All four receive the same deliveries at once: each is stored exactly once.
Then rows whose owner "died" (their lease ran out) are taken over by the four at once:
each row goes to exactly one of them, and a row that is still leased goes to nobody.

The processes are forked from a fresh server process ("forkserver": nothing of the test
process, no connection, is shared; this module is loaded there once) and wait for each
other before their first delivery, so they really do arrive at once.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from functools import partial
from multiprocessing.pool import Pool
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from rasa_addons.channels.slack_inbox import InboxMessage, InboxUnavailableError, SlackInbox
from tests.rasa_addons.postgres import private_database, url_of


def _keys(run: str) -> list[str]:
    return [f"{run}-{n}" for n in range(40)]


def _wait_for_the_others(barrier: Barrier) -> None:
    barrier.wait()


def _servers(count: int) -> Pool:
    """``count`` fresh processes, each started and ready before any takes a task."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context.Pool(count, _wait_for_the_others, (context.Barrier(count),))


def _receive(url: str, run: str, owner: str) -> list[str]:
    inbox = SlackInbox(url, 30, owner)
    message = partial(InboxMessage, sender_id="U1", text="hello", metadata={"out_channel": "D1"})
    return [key for key in _keys(run) if inbox.receive(message(key))]


def _take_over(url: str, run: str, owner: str) -> list[str]:
    # Until nothing is left to take (rows other runs left behind included).
    inbox = SlackInbox(url, 30, owner)
    taken = []
    while batch := inbox.claim_expired(limit=5):
        taken += [message.key for message in batch]
        for message in batch:
            inbox.finish(message.key)
    return [key for key in taken if key.startswith(run)]


def _first_delivery(url: str, owner: str) -> bool | str:
    # A fresh inbox: each process creates the table on its first delivery.
    try:
        return SlackInbox(url, 30, owner).receive(InboxMessage("first", "U1", "hi", {}))
    except InboxUnavailableError as error:
        return str(error)


def _check(url: str, run: str) -> None:
    keys = _keys(run)
    with _servers(4) as pool:
        SlackInbox(url, 30, "setup").release_all()  # creates the table
        stored = pool.map(partial(_receive, url, run), [f"p{n}" for n in range(4)])
        dead = SlackInbox(url, 0.001, "dead")  # leases that run out at once
        live = SlackInbox(url, 600, "alive")  # a lease that does not
        for key in keys[:20]:
            dead.receive(InboxMessage(key + "-orphan", "U1", "hi", {}))
        live.receive(InboxMessage(f"{run}-alive", "U1", "hi", {}))
        time.sleep(0.1)
        taken = pool.map(partial(_take_over, url, run), [f"q{n}" for n in range(4)])
    live.finish(f"{run}-alive")
    for n, received in enumerate(stored):  # answered, as their receivers would have
        for key in received:
            SlackInbox(url, 30, f"p{n}").finish(key)

    every_stored = [key for received in stored for key in received]
    assert sorted(every_stored) == sorted(keys)  # each once, none lost
    every_taken = [key for batch in taken for key in batch]
    # The 40 received rows were leased to their living receivers for 30 s: not taken.
    assert sorted(every_taken) == sorted(f"{key}-orphan" for key in keys[:20])
    assert f"{run}-alive" not in every_taken


def test_sqlite_inbox_stores_and_hands_out_each_delivery_once(tmp_path: Path) -> None:
    _check(f"sqlite:///{tmp_path / 'inbox.db'}", "sqlite")


@pytest.mark.postgres
def test_postgresql_inbox_stores_and_hands_out_each_delivery_once() -> None:
    with private_database() as database:
        _check(url_of(database), f"pg{uuid.uuid4().hex[:8]}")


@pytest.mark.postgres
def test_servers_starting_together_all_take_their_first_delivery() -> None:
    # PostgreSQL refuses the second of two simultaneous CREATE TABLEs even "IF NOT
    # EXISTS": a server that lost that race answered Slack's first delivery with 503.
    for _ in range(5):
        with private_database() as database, _servers(6) as pool:
            url = url_of(database)
            answers = pool.map(partial(_first_delivery, url), [f"p{n}" for n in range(6)])
        assert sorted(answers, key=str) == [False] * 5 + [True], answers  # stored once
