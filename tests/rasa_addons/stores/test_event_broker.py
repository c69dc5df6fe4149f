"""The production event broker against the real RabbitMQ, stopped and started again.

The broker is built from deploy/endpoints.production.yml's ``event_broker`` section,
as the Rasa server builds it, on a queue of its own. RabbitMQ is stopped with
``rabbitmqctl stop_app`` for a few seconds and always started again. Rasa 3.6's
``PikaEventBroker`` (``type: pika``) waits 100 s for RabbitMQ at start-up and then
stops Rasa from starting; the events of an outage must instead arrive, in order, once
RabbitMQ is back, and a buffer overflowing in a long outage drops the oldest events,
a bounded and logged loss.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import aio_pika
import pytest
import rasa.shared.core.events  # noqa: F401 - the broker logs events through it, as in Rasa
from rasa.core.brokers.broker import EventBroker
from rasa.core.utils import read_endpoints_from_path

from tests.rasa_env import ROOT

PRODUCTION_ENDPOINTS = ROOT / "deploy" / "endpoints.production.yml"
RABBITMQ_VARIABLES = {
    "PA_RABBITMQ_HOST": "127.0.0.1",
    "PA_RABBITMQ_PORT": "5672",
    "PA_RABBITMQ_USER": "guest",
    "PA_RABBITMQ_PASSWORD": "guest",
}


@pytest.fixture
def rabbitmq(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A running RabbitMQ that the test may stop; yields a fresh queue name."""
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", 5672)) != 0:
            pytest.skip("RabbitMQ is not running on 127.0.0.1:5672 (scripts/services.sh start)")
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not installed: RabbitMQ cannot be stopped and started")
    queue = f"partner_assistant_broker_test_{uuid.uuid4().hex[:8]}"
    # Rasa reads the whole file: the other sections' variables only need a value.
    for name in re.findall(r"\$\{(\w+)\}", PRODUCTION_ENDPOINTS.read_text()):
        monkeypatch.setenv(name, "0")
    for name, value in {**RABBITMQ_VARIABLES, "PA_RABBITMQ_QUEUE": queue}.items():
        monkeypatch.setenv(name, value)
    try:
        yield queue
    finally:
        # The test starts RabbitMQ again itself; this is for a test that died.
        subprocess.run(["rabbitmqctl", "start_app"], capture_output=True, timeout=60, check=False)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _rabbitmq(command: str) -> None:
    subprocess.run(["rabbitmqctl", command], check=True, capture_output=True, timeout=60)


async def _drained(broker: EventBroker, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while getattr(broker, "buffered", 0) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)  # Rasa 3.6's own broker has no count: give it a moment


async def _queued(queue: str) -> list[int]:
    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    channel = await connection.channel()
    box = await channel.declare_queue(queue, durable=True)
    numbers = []
    while (message := await box.get(no_ack=True, fail=False)) is not None:
        numbers.append(json.loads(message.body).get("n"))
    await box.delete(if_unused=False, if_empty=False)
    await channel.exchange_delete(queue)
    await connection.close()
    return numbers


async def _outage(mode: str, queue: str) -> dict[str, Any]:
    endpoints = read_endpoints_from_path(PRODUCTION_ENDPOINTS)
    assert endpoints.event_broker is not None
    config = endpoints.event_broker
    # An exchange of its own: every Rasa server on this RabbitMQ publishes to Rasa's
    # default one, and its fanout would mix their events into this queue.
    config.kwargs["exchange_name"] = queue
    result: dict[str, Any] = {"created": True}
    broker: EventBroker | None
    if mode == "down-at-start":
        _rabbitmq("stop_app")
        try:
            try:
                broker = await asyncio.wait_for(EventBroker.create(config), 20)
            except asyncio.TimeoutError:
                result["created"] = False
                return result
            assert broker is not None
            for n in range(0, 20):
                broker.publish({"n": n})
        finally:
            _rabbitmq("start_app")
        await _drained(broker, 30)
        for n in range(20, 30):
            broker.publish({"n": n})
        await _drained(broker, 30)
        _rabbitmq("stop_app")  # and once more while running
        try:
            for n in range(30, 50):
                broker.publish({"n": n})
                await asyncio.sleep(0.05)
        finally:
            _rabbitmq("start_app")
    else:  # overflow: an outage longer than the buffer
        config.kwargs["max_buffered_events"] = 5
        broker = await EventBroker.create(config)
        assert broker is not None
        for n in range(0, 3):
            broker.publish({"n": n})
        await _drained(broker, 30)
        _rabbitmq("stop_app")
        try:
            for n in range(3, 13):
                broker.publish({"n": n})
                await asyncio.sleep(0.05)
        finally:
            _rabbitmq("start_app")
    await _drained(broker, 30)
    await broker.close()
    result["queued"] = await _queued(queue)
    return result


def _run(mode: str, queue: str) -> dict[str, Any]:
    collect = _Collect()
    logger = logging.getLogger("rasa_addons")
    logger.addHandler(collect)
    try:
        result = asyncio.run(_outage(mode, queue))
    finally:
        logger.removeHandler(collect)
    result["log"] = collect.messages
    return result


def _first_arrivals(numbers: list[int]) -> list[int]:
    return list(dict.fromkeys(numbers))


def test_rasa_starts_while_rabbitmq_is_down_and_the_events_arrive_once_it_is_back(
    rabbitmq: str,
) -> None:
    result = _run("down-at-start", rabbitmq)
    assert result["created"], "creating the event broker waited for RabbitMQ"
    # Down at start, back, down again while running: every event, in order (an event
    # whose confirmation was cut off by the outage may come twice).
    assert _first_arrivals(result["queued"]) == list(range(50))


def test_an_outage_longer_than_the_buffer_loses_the_oldest_events_and_says_so(
    rabbitmq: str,
) -> None:
    result = _run("overflow", rabbitmq)
    assert _first_arrivals(result["queued"]) == [0, 1, 2, 8, 9, 10, 11, 12]
    assert any("5 events dropped" in line for line in result["log"]), result["log"]
