"""Slack on several Rasa servers of the production profile: each message answered once.

Three more Rasa servers run beside the test stack on deploy/endpoints.production.yml
(conversations in PostgreSQL, conversation locks in Redis, events to RabbitMQ), with
one Slack inbox in PostgreSQL (``PA_SLACK_INBOX_URL``, in a schema of this run's own;
leases of 4 s) and the stack's app as action server. Redis and the inbox's PostgreSQL
are reached through proxies the tests can cut. ``doomed`` has an action endpoint that
never answers: the test that kills it after its acknowledgement shows another server
answering instead.
"""

from __future__ import annotations

import json
import re
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

import pika
import pytest
import sqlalchemy as sa

from partners.messages import TROUBLE
from scripts.launch import child_environment, local_services_environment
from tests.conftest import Stack
from tests.fakes.fake_slack import FakeSlack
from tests.processes import stop, wait_until_up
from tests.slack.conversation import (
    GREETING,
    new_channel,
    new_user,
    sentinel,
    texts,
    thread,
    wait_for_thread,
)
from tests.slack.peers import SilentServer, TcpProxy, postgres_schema, start_rasa
from tests.slack.slack_events import SlackSender, message_event

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PORTS = {"first": 5306, "second": 5307, "doomed": 5308}
QUEUE = f"partner_assistant_slack_test_{uuid.uuid4().hex[:8]}"
LINK = re.compile(r"https?://[^\s|>]+/link\?code=([A-Za-z0-9_-]+)")
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


@dataclass
class Peers:
    """The extra servers, a signed sender for each, and the faults to inflict."""

    senders: dict[str, SlackSender]
    processes: dict[str, Popen[bytes]]
    logs: dict[str, Path]
    redis: TcpProxy
    inbox: TcpProxy
    silent: SilentServer
    schema: str


def _reachable(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def peers(
    stack: Stack, fake_slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Peers]:
    """Start the three servers (in parallel); stop them and delete the queue afterwards."""
    for port, service in ((5432, "PostgreSQL"), (6379, "Redis"), (5672, "RabbitMQ")):
        if not _reachable(port):
            pytest.skip(f"{service} is not running on 127.0.0.1:{port} (scripts/services.sh start)")
    folder = tmp_path_factory.mktemp("slack-peers")
    redis, inbox, silent = TcpProxy(6379), TcpProxy(5432), SilentServer()
    with postgres_schema(inbox.port) as (schema, inbox_url):
        yield from _servers(stack, fake_slack, folder, redis, inbox, silent, schema, inbox_url)


def _servers(
    stack: Stack,
    fake_slack: FakeSlack,
    folder: Path,
    redis: TcpProxy,
    inbox: TcpProxy,
    silent: SilentServer,
    schema: str,
    inbox_url: str,
) -> Iterator[Peers]:
    env = child_environment()  # the stack's secrets: its app accepts our action calls
    env.update(fake_slack.stack_env)
    env.update(
        PA_VAR_DIR=str(folder),
        PA_ACTION_ENDPOINT_URL=f"{stack.app_url}/webhook",
        **local_services_environment(
            queue=QUEUE,
            redis_key_prefix=f"slacktest{uuid.uuid4().hex[:6]}",
            redis_port=redis.port,  # through a proxy the tests can cut
        ),
        PA_SLACK_INBOX_URL=inbox_url,
        PA_SLACK_LEASE_SECONDS="4",
        # A dead server's conversation lock frees after 25 s (Rasa's default: 60 s);
        # still longer than the action timeout, as Rasa's lock needs.
        TICKET_LOCK_LIFETIME="25",
    )
    processes: dict[str, Popen[bytes]] = {}
    logs = {name: folder / f"{name}.log" for name in PORTS}
    try:
        for name, port in PORTS.items():
            own = dict(env)
            if name == "doomed":
                own["PA_ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{silent.port}/webhook"
            endpoints = "deploy/endpoints.production.yml"
            processes[name] = start_rasa(port, endpoints, own, logs[name])
        for name, port in PORTS.items():
            wait_until_up(f"http://127.0.0.1:{port}/", processes[name], logs[name])
        yield Peers(
            {
                name: SlackSender(f"http://127.0.0.1:{port}", fake_slack.signing_secret)
                for name, port in PORTS.items()
            },
            processes,
            logs,
            redis,
            inbox,
            silent,
            schema,
        )
    finally:
        for process in processes.values():
            stop(process)
        for service in (redis, inbox, silent):
            service.close()
        _delete_queue()


def _delete_queue() -> None:
    try:
        connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", 5672))
        connection.channel().queue_delete(queue=QUEUE)
        connection.close()
    except pika.exceptions.AMQPError:
        pass


def _published() -> list[str]:
    """Every message on the test's queue so far (taken off it), as text."""
    connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", 5672))
    channel = connection.channel()
    bodies = []
    while True:
        method, _, body = channel.basic_get(queue=QUEUE, auto_ack=True)
        if method is None:
            break
        bodies.append(body.decode())
    connection.close()
    return bodies


def _database() -> sa.Engine:
    return sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _inbox_row(peers: Peers, key: str) -> dict:
    with _database().connect() as connection:
        row = connection.execute(
            sa.text(
                f'SELECT state, attempts FROM "{peers.schema}".slack_inbox '
                "WHERE delivery_key = :key"
            ),
            {"key": key},
        ).mappings()
        return dict(row.one())


def test_one_event_at_two_servers_and_its_retries_is_answered_once(
    peers: Peers, fake_slack: FakeSlack
) -> None:
    user, channel = new_user(), new_channel()
    event = message_event(user, "hello", channel=channel)
    deliveries = [
        (peers.senders["first"], {}),
        (peers.senders["second"], {}),
        (peers.senders["second"], {"headers": RETRY}),
        (peers.senders["first"], {"headers": {**RETRY, "X-Slack-Retry-Num": "2"}}),
    ]
    with ThreadPoolExecutor(len(deliveries)) as pool:
        statuses = list(pool.map(lambda d: d[0].event(event, **d[1]).status_code, deliveries))
    assert statuses == [200] * len(deliveries)

    sentinel(peers.senders["second"], fake_slack, user, channel)
    assert texts(thread(fake_slack, channel, event["event"]["ts"])) == [GREETING]
    assert _inbox_row(peers, f"event:{event['event_id']}") == {"state": "done", "attempts": 1}


def test_a_server_killed_after_the_ack_is_replaced_by_another(
    peers: Peers, fake_slack: FakeSlack
) -> None:
    user, channel = new_user(), new_channel()
    event = message_event(user, "what does the security competency require?", channel=channel)
    assert peers.senders["doomed"].event(event).status_code == 200
    # The doomed server acknowledged and now waits for its action call's answer.
    assert peers.silent.called.wait(60), "the doomed server never called its action"
    peers.processes["doomed"].kill()
    peers.processes["doomed"].wait()

    wait_for_thread(fake_slack, channel, event["event"]["ts"], timeout=120)
    sentinel(peers.senders["first"], fake_slack, user, channel)
    answer = texts(thread(fake_slack, channel, event["event"]["ts"]))
    assert sum("C-SECURITY" in text for text in answer) == 1, answer
    assert len(answer) == len(set(answer)), answer
    assert _inbox_row(peers, f"event:{event['event_id']}") == {"state": "done", "attempts": 2}


def test_an_inbox_outage_gets_slack_to_retry_and_the_retry_is_answered(
    peers: Peers, fake_slack: FakeSlack
) -> None:
    user, channel = new_user(), new_channel()
    event = message_event(user, "hello", channel=channel)
    peers.inbox.cut()
    try:
        refused = peers.senders["first"].event(event)
    finally:
        peers.inbox.restore()
    assert refused.status_code == 503, refused.text

    assert peers.senders["second"].event(event, headers=RETRY).status_code == 200
    sentinel(peers.senders["first"], fake_slack, user, channel)
    assert texts(thread(fake_slack, channel, event["event"]["ts"])) == [GREETING]
    assert "not stored, Slack will retry" in peers.logs["first"].read_text()


def test_a_lock_store_outage_is_told_in_the_thread(peers: Peers, fake_slack: FakeSlack) -> None:
    user, channel = new_user(), new_channel()
    event = message_event(user, "hello", channel=channel)
    peers.redis.cut()
    try:
        assert peers.senders["first"].event(event).status_code == 200
        told = texts(wait_for_thread(fake_slack, channel, event["event"]["ts"]))
    finally:
        peers.redis.restore()
    assert told == [TROUBLE]
    log = peers.logs["first"].read_text()
    assert "failed, the user is told to try again" in log
    assert "Traceback" not in told[0]
    # Redis is back: the conversation goes on.
    sentinel(peers.senders["first"], fake_slack, user, channel)


def test_no_link_code_or_signature_is_stored_or_published(
    peers: Peers, fake_slack: FakeSlack
) -> None:
    user, channel = new_user(), new_channel()
    sender = peers.senders["second"]
    for text in ("hello", "link my account", "what's my tier?"):
        event = message_event(user, text, channel=channel)
        assert sender.event(event).status_code == 200
        wait_for_thread(fake_slack, channel, event["event"]["ts"])
    links = [LINK.search(str(m.get("text"))) for m in fake_slack.ephemeral(channel)]
    codes = [link.group(1) for link in links if link]
    assert len(codes) == 2, fake_slack.ephemeral(channel)  # delivered, privately
    assert all(message.get("user") == user for message in fake_slack.ephemeral(channel))
    assert not any(LINK.search(text) for text in texts(fake_slack.posted(channel)))

    with _database().connect() as connection:
        stored = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :user"), {"user": user}
        ).scalars()
        tracker_rows = list(stored)
        inbox_rows = [
            json.dumps(list(row))
            for row in connection.execute(
                sa.text(f'SELECT * FROM "{peers.schema}".slack_inbox WHERE sender_id = :user'),
                {"user": user},
            )
        ]
    published = [body for body in _published() if user in body]
    assert tracker_rows and published and len(inbox_rows) == 3
    secrets = [*codes, *sender.signatures, fake_slack.signing_secret, fake_slack.token]
    secrets += ["slack_sig", "slack_ts", "/link?code="]
    for where, rows in (("tracker", tracker_rows), ("broker", published), ("inbox", inbox_rows)):
        for row in rows:
            leaked = [secret for secret in secrets if secret in row]
            assert not leaked, f"{where} row holds {leaked}: {row[:300]}"
