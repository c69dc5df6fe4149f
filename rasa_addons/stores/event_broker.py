"""Rasa's RabbitMQ event broker, for a RabbitMQ that is sometimes down.

Rasa 3.6's ``PikaEventBroker`` connects while the server starts and gives up after 20
attempts 5 s apart: with RabbitMQ down, Rasa answers nobody for 100 s and then exits.
Once connected, an event published while RabbitMQ is away waits in a task of its own
until the connection is back, however many pile up, and whatever is waiting when Rasa
stops is dropped without a word.

``BufferedPikaEventBroker`` (``type: rasa_addons.stores.event_broker.BufferedPikaEventBroker``
in deploy/endpoints.production.yml) takes the same settings and publishes to the same
fanout exchange and queues, but:

- Rasa starts and answers without waiting for RabbitMQ: the connection is made, and
  remade after any failure (every 1 s, backing off to 5 s), by one background task;
- events wait in one in-memory buffer, in the order Rasa published them, and are sent
  from its head, in batches, each event only after those before it were confirmed by
  RabbitMQ (publisher confirms); a batch cut by a failure is sent again from its first
  unconfirmed event, so an event may arrive twice, never out of order, and never not
  at all while the buffer has room;
- the buffer is bounded (``max_buffered_events``, default 10,000, about 1,000 turns):
  when it is full, the oldest event is dropped and counted, with an error log line per
  outage giving the count, so the loss of a long outage is bounded and visible;
- on shutdown it keeps sending for up to 5 s, then logs how many events it drops.

Events still buffered when the process is killed are lost (memory only); see
docs/operations.md. Written against Rasa 3.6's ``PikaEventBroker``, whose settings,
exchange set-up and message format it reuses.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any, cast

import aio_pika
from aio_pika.abc import SSLOptions
from rasa.core.brokers.pika import PikaEventBroker, _create_rabbitmq_ssl_options
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_MAX_BUFFERED_EVENTS = 10_000
BATCH_SIZE = 200
CONNECT_TIMEOUT_S = 5.0
CONFIRM_TIMEOUT_S = 10.0
RETRY_DELAYS_S = (1.0, 2.0, 5.0)
CLOSE_TIMEOUT_S = 5.0
STILL_DOWN_LOG_EVERY_S = 60.0

Entry = tuple[dict[str, Any], dict[str, str] | None]


class BufferedPikaEventBroker(PikaEventBroker):
    """Publishes Rasa's events to RabbitMQ from a bounded, ordered in-memory buffer."""

    def __init__(
        self, *args: Any, max_buffered_events: int = DEFAULT_MAX_BUFFERED_EVENTS, **kwargs: Any
    ) -> None:
        """Take ``PikaEventBroker``'s settings plus ``max_buffered_events``."""
        super().__init__(*args, **kwargs)
        self.max_buffered_events = int(max_buffered_events)
        if self.max_buffered_events < 1:
            raise ValueError("max_buffered_events must be at least 1")
        self._buffer: deque[Entry] = deque()
        self._dropped_in_outage = 0
        self._wake = asyncio.Event()
        self._closing = False
        self._sender: asyncio.Task[None] | None = None
        self._plain_connection: aio_pika.abc.AbstractConnection | None = None

    @classmethod
    async def from_endpoint_config(
        cls,
        broker_config: EndpointConfig | None,
        event_loop: asyncio.AbstractEventLoop | None = None,
    ) -> BufferedPikaEventBroker | None:
        """Create the broker and start its sender; never waits for RabbitMQ."""
        if broker_config is None:
            return None
        broker = cls(broker_config.url, **broker_config.kwargs, event_loop=event_loop)
        await broker.connect()
        return broker

    async def connect(self) -> None:
        """Start the background task that connects and sends (idempotent)."""
        if self._sender is None:
            self._sender = self._loop.create_task(self._send_forever())

    def is_ready(self) -> bool:
        """Whether RabbitMQ is connected right now."""
        return self._plain_connection is not None and not self._plain_connection.is_closed

    @property
    def buffered(self) -> int:
        """Events waiting to be confirmed by RabbitMQ."""
        return len(self._buffer)

    def publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """Queue ``event`` for RabbitMQ; drop the oldest waiting event if the buffer is full."""
        if len(self._buffer) >= self.max_buffered_events:
            self._buffer.popleft()
            self._dropped_in_outage += 1
            if self._dropped_in_outage == 1:
                logger.error(
                    "event broker: %d events wait for RabbitMQ, the buffer is full; "
                    "dropping the oldest (the count follows when RabbitMQ is back)",
                    self.max_buffered_events,
                )
        self._buffer.append((event, headers))
        self._wake.set()

    async def close(self) -> None:
        """Send what is buffered for up to ``CLOSE_TIMEOUT_S``, then disconnect."""
        self._closing = True
        self._wake.set()
        if self._sender is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._sender), CLOSE_TIMEOUT_S)
            except asyncio.TimeoutError:
                self._sender.cancel()
        if self._buffer:
            logger.error(
                "event broker: stopping with %d events not sent to RabbitMQ", len(self._buffer)
            )
        await self._disconnect()

    async def _send_forever(self) -> None:
        down_since: float | None = None
        failures = 0
        last_complaint = 0.0
        while self._buffer or not self._closing:
            if not self._buffer:
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                exchange = await self._exchange_connected()
                await self._send_batch(exchange)
            except Exception as error:  # aio_pika raises many kinds while RabbitMQ is away
                await self._disconnect()
                if self._closing:
                    return
                now = time.monotonic()
                if down_since is None or now - last_complaint >= STILL_DOWN_LOG_EVERY_S:
                    logger.warning(
                        "event broker: RabbitMQ at %s:%s unavailable (%s: %s); %d events buffered",
                        self.host,
                        self.port,
                        type(error).__name__,
                        error,
                        len(self._buffer),
                    )
                    last_complaint = now
                down_since = down_since or now
                await asyncio.sleep(RETRY_DELAYS_S[min(failures, len(RETRY_DELAYS_S) - 1)])
                failures += 1
                continue
            if down_since is not None:
                logger.warning(
                    "event broker: RabbitMQ back after %.0f s; %d events dropped meanwhile",
                    time.monotonic() - down_since,
                    self._dropped_in_outage,
                )
                down_since, failures, self._dropped_in_outage = None, 0, 0

    async def _exchange_connected(self) -> aio_pika.abc.AbstractExchange:
        if self._exchange is not None and self.is_ready():
            return self._exchange
        await self._disconnect()
        # Rasa's helper types the dict loosely; it holds aio_pika's SSLOptions keys.
        ssl_options = cast("SSLOptions | None", _create_rabbitmq_ssl_options(self.host))
        self._plain_connection = await aio_pika.connect(
            url=self._configure_url(),
            host=self.host,
            port=self.port,
            login=self.username,
            password=self.password,
            ssl=ssl_options is not None,
            ssl_options=ssl_options,
            timeout=CONNECT_TIMEOUT_S,
        )
        channel = await self._plain_connection.channel(publisher_confirms=True)
        self._exchange = await self._set_up_exchange(channel)  # type: ignore[arg-type]
        logger.info("event broker: connected to RabbitMQ at %s:%s", self.host, self.port)
        return self._exchange

    async def _send_batch(self, exchange: aio_pika.abc.AbstractExchange) -> None:
        """Send the buffer's head; remove each event once it and those before are confirmed."""
        batch = [self._buffer[index] for index in range(min(BATCH_SIZE, len(self._buffer)))]
        sends = [exchange.publish(self._message(event, headers), "") for event, headers in batch]
        results = await asyncio.wait_for(
            asyncio.gather(*sends, return_exceptions=True), CONFIRM_TIMEOUT_S
        )
        for entry, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                raise result
            # publish() may have dropped this entry meanwhile (buffer full): only
            # remove the head if it is still the entry just confirmed.
            if self._buffer and self._buffer[0] is entry:
                self._buffer.popleft()

    async def _disconnect(self) -> None:
        connection, self._plain_connection, self._exchange = self._plain_connection, None, None
        if connection is not None and not connection.is_closed:
            try:
                await connection.close()
            except Exception:  # already broken: nothing left to close
                logger.debug("event broker: closing a broken connection failed", exc_info=True)
