"""The production endpoints: two Rasa servers sharing PostgreSQL, Redis and RabbitMQ.

A conversation that hops between two Rasa processes keeps all its turns (tracker store
in PostgreSQL, conversation lock in Redis), messages of one conversation that reach both
servers at the same moment are all kept (rasa_addons/lock_store.py; with Rasa 3.6's own
RedisLockStore a turn was lost about one run in three), and every turn reaches the
RabbitMQ queue.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pika
import pytest

from scripts.launch import ROOT, app_command, rasa_command
from tests.conftest import model_path
from tests.processes import wait_until_up

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

APP_PORT = 18000
RASA_PORTS = (15005, 15006)
QUEUE = f"partner_assistant_test_{uuid.uuid4().hex[:8]}"
TOKEN = "production-test-token"


def _reachable(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """One app and two Rasa servers on the production endpoints; yields the Rasa URLs."""
    for port, service in ((5432, "PostgreSQL"), (6379, "Redis"), (5672, "RabbitMQ")):
        if not _reachable(port):
            pytest.skip(f"{service} is not running on 127.0.0.1:{port} (scripts/services.sh start)")
    logs = tmp_path_factory.mktemp("cluster")
    env = dict(os.environ)
    env.update(
        PA_VAR_DIR=str(logs),
        PA_JWT_SECRET="production-test-secret",
        PA_RASA_TOKEN=TOKEN,
        PA_ACTION_ENDPOINT_URL=f"http://127.0.0.1:{APP_PORT}/webhook",
        PA_TRACKER_DB_HOST="127.0.0.1",
        PA_TRACKER_DB_PORT="5432",
        PA_TRACKER_DB_NAME="test",
        PA_TRACKER_DB_USER="postgres",
        PA_TRACKER_DB_PASSWORD="",
        PA_REDIS_HOST="127.0.0.1",
        PA_REDIS_PORT="6379",
        PA_REDIS_DB="1",
        PA_REDIS_PASSWORD="",
        PA_REDIS_KEY_PREFIX="partnerassistanttest",
        PA_RABBITMQ_HOST="127.0.0.1",
        PA_RABBITMQ_PORT="5672",
        PA_RABBITMQ_USER="guest",
        PA_RABBITMQ_PASSWORD="guest",
        PA_RABBITMQ_QUEUE=QUEUE,
    )
    commands = [(app_command(APP_PORT), f"http://127.0.0.1:{APP_PORT}/health")] + [
        (
            rasa_command(model_path(), port, TOKEN, "deploy/endpoints.production.yml"),
            f"http://127.0.0.1:{port}/",
        )
        for port in RASA_PORTS
    ]
    processes: list[tuple[subprocess.Popen[bytes], str, Path]] = []
    try:
        for index, (command, url) in enumerate(commands):
            log = logs / f"process-{index}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                )
            processes.append((process, url, log))
        for process, url, log in processes:
            wait_until_up(url, process, log)
        yield [f"http://127.0.0.1:{port}" for port in RASA_PORTS]
    finally:
        for process, _, _ in processes:
            process.terminate()
        for process, _, _ in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        _delete_queue()


def _say(rasa_url: str, sender: str, text: str) -> list[dict]:
    response = httpx.post(
        f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    response.raise_for_status()
    replies: list[dict] = response.json()
    return replies


def _user_texts(rasa_url: str, sender: str) -> list[str]:
    response = httpx.get(
        f"{rasa_url}/conversations/{sender}/tracker", params={"token": TOKEN}, timeout=30
    )
    response.raise_for_status()
    return [event["text"] for event in response.json()["events"] if event["event"] == "user"]


def _drain_queue() -> list[dict]:
    connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", 5672))
    try:
        channel = connection.channel()
        events = []
        while True:
            method, _, body = channel.basic_get(QUEUE, auto_ack=True)
            if method is None:
                return events
            events.append(json.loads(body))
    finally:
        connection.close()


def _delete_queue() -> None:
    try:
        connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", 5672))
        connection.channel().queue_delete(QUEUE)
        connection.close()
    except pika.exceptions.AMQPError:
        pass


def test_a_conversation_continues_on_another_rasa_server(cluster: list[str]) -> None:
    sender = f"hop-{uuid.uuid4().hex[:8]}"
    first, second = cluster
    assert _say(first, sender, "hello"), "the first server did not greet"
    assert _say(second, sender, "thanks"), "the second server did not answer"
    assert _user_texts(first, sender) == ["hello", "thanks"]
    assert _user_texts(second, sender) == ["hello", "thanks"]


@pytest.mark.parametrize("attempt", range(3))
def test_simultaneous_turns_on_both_servers_lose_nothing(cluster: list[str], attempt: int) -> None:
    sender = f"lock-{attempt}-{uuid.uuid4().hex[:8]}"
    messages = [f"hello {n}" for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: _say(cluster[n % 2], sender, messages[n]), range(8)))
    # Two servers processing one conversation at once overwrite each other's turns.
    assert sorted(_user_texts(cluster[0], sender)) == sorted(messages)


def test_every_turn_reaches_the_event_broker(cluster: list[str]) -> None:
    sender = f"broker-{uuid.uuid4().hex[:8]}"
    _say(cluster[0], sender, "hello")
    deadline = time.monotonic() + 20
    seen: list[dict] = []
    while time.monotonic() < deadline:
        seen += [event for event in _drain_queue() if event.get("sender_id") == sender]
        if any(event.get("event") == "bot" for event in seen):
            break
        time.sleep(0.5)
    kinds = {event.get("event") for event in seen}
    assert {"user", "bot"} <= kinds, f"events seen on the queue: {sorted(map(str, kinds))}"
