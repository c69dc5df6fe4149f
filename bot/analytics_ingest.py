"""The app's analytics consumer and the daily transcript retention, started by its lifespan.

The consumer reads Rasa's events (``PA_ANALYTICS_SOURCE``: the SQLite file of
``make run``, or the RabbitMQ queue of the production profile) in a thread of its own
and writes the analytics tables (``partners.analytics``). Of several app processes
exactly one consumes at a time: it holds a lock (a PostgreSQL advisory lock on the
partner store, or a file lock beside the SQLite store) and the others wait to take
over, so each conversation's events are applied in order. A failing source or store
is logged and retried every few seconds; events wait in the source meanwhile.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import threading
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sqlalchemy import Engine, text

from bot.scheduled_job import ScheduledJob
from partners.analytics import rasa_retention, retention
from partners.analytics.clusters import Clusterer
from partners.analytics.ingest import Ingestor
from partners.analytics.sources import EventSource, RabbitEventSource, SQLiteEventSource
from partners.db import engine_for
from partners.guarded_runs import RunView
from settings import ROOT, Settings

logger = logging.getLogger(__name__)

IDLE_SECONDS = 0.5
RETRY_SECONDS = 5.0
LEADER_LOCK_KEY = 72_616_408  # PostgreSQL advisory lock of the one consuming process


@cache
def domain_intents() -> tuple[str, ...]:
    """Return the intents of domain.yml (read once; the lifespan reads it at start-up)."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    return tuple(str(intent) for intent in domain.get("intents") or [])


def embed_questions(texts: Sequence[str]) -> np.ndarray:
    """Embed questions with the app's MiniLM query embedder (opened on first use)."""
    from knowledge.embedder import query_embedder

    return query_embedder().embed(list(texts))


def build_source(settings: Settings) -> EventSource | None:
    """Return the configured event source, or None when analytics is off."""
    kind = settings.analytics_source.strip().lower()
    if kind == "sqlite":
        path = settings.analytics_events_db or str(settings.var_dir / "rasa-events.db")
        return SQLiteEventSource(Path(path))
    if kind == "rabbitmq":
        import pika

        credentials = pika.PlainCredentials(settings.rabbitmq_user, settings.rabbitmq_password)
        parameters = pika.ConnectionParameters(
            settings.rabbitmq_host,
            settings.rabbitmq_port,
            credentials=credentials,
            heartbeat=30,
            connection_attempts=1,
        )
        return RabbitEventSource(parameters, settings.rabbitmq_queue)
    if kind != "off":
        logger.error("analytics off: PA_ANALYTICS_SOURCE %r is not sqlite, rabbitmq or off", kind)
    return None


@contextlib.contextmanager
def leadership(engine: Engine, stop: threading.Event) -> Iterator[bool]:
    """Hold the consumer's lock while the block runs; yields False if stopped first."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            while not stop.is_set():
                held = connection.scalar(text(f"SELECT pg_try_advisory_lock({LEADER_LOCK_KEY})"))
                connection.commit()
                if held:
                    try:
                        yield True
                    finally:
                        connection.execute(text(f"SELECT pg_advisory_unlock({LEADER_LOCK_KEY})"))
                        connection.commit()
                    return
                stop.wait(RETRY_SECONDS)
        yield False
        return
    database = engine.url.database or ""
    lock_path = Path(f"{database}.analytics.lock") if database not in ("", ":memory:") else None
    if lock_path is None:
        yield not stop.is_set()
        return
    with lock_path.open("a") as handle:
        while not stop.is_set():
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                stop.wait(RETRY_SECONDS)
                continue
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
            return
    yield False


class AnalyticsConsumer:
    """Reads Rasa's events into the analytics tables in a background thread."""

    def __init__(self, settings: Settings, source: EventSource | None = None) -> None:
        """Consume ``source`` (default: the configured one) into the settings' store."""
        self.settings = settings
        self.engine = engine_for(settings.effective_database_url)
        self.source = source if source is not None else build_source(settings)
        self.ingestor = Ingestor(
            Clusterer(embed_questions, threshold=settings.analytics_cluster_threshold)
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start consuming (no-op when analytics is off)."""
        if self.source is None:
            logger.info("analytics off: PA_ANALYTICS_SOURCE=%s", self.settings.analytics_source)
            return
        self._thread = threading.Thread(target=self._run, name="analytics-ingest", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the batch in progress; close the source."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        assert self.source is not None
        try:
            with leadership(self.engine, self._stop) as leader:
                if leader:
                    logger.info(
                        "analytics: consuming Rasa's events (%s)", self.settings.analytics_source
                    )
                    self._consume(self.source)
        except Exception:
            logger.exception("analytics: the consumer stopped")
        finally:
            self.source.close()

    def _consume(self, source: EventSource) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                read = source.run_once(self.engine, self.ingestor)
            except Exception as error:
                if not failing:
                    logger.error(
                        "analytics: reading events failed (%s: %s); retrying every %.0f s",
                        type(error).__name__,
                        error,
                        RETRY_SECONDS,
                        exc_info=True,
                    )
                failing = True
                source.close()
                self._stop.wait(RETRY_SECONDS)
                continue
            if failing:
                logger.warning("analytics: reading events again")
                failing = False
            if read == 0:
                self._stop.wait(IDLE_SECONDS)


class RetentionJob(ScheduledJob[RunView]):
    """Deletes transcript texts older than ``PA_TRANSCRIPT_RETENTION_DAYS``, daily.

    Every process runs it: deleting what is already deleted changes nothing.
    """

    name = "transcript-retention"
    schedule_variable = "PA_TRANSCRIPT_RETENTION_SCHEDULE"
    off_reason = "PA_TRANSCRIPT_RETENTION_DAYS is 0 (transcripts are kept)"

    @property
    def enabled(self) -> bool:
        """Always on: old event keys are pruned even when transcripts are kept."""
        return True

    @property
    def schedule(self) -> str:
        """``PA_TRANSCRIPT_RETENTION_SCHEDULE``."""
        return self.settings.transcript_retention_schedule

    def run_slot(self, slot: str, now: dt.datetime) -> RunView | None:
        """Purge the app's tables, then Rasa's stores; the counts go to the log."""
        days = self.settings.transcript_retention_days
        counts: dict[str, Any] = {}
        try:
            counts.update(retention.purge(self.engine, days, now=now).as_dict())
        except Exception:
            logger.exception("transcript retention of the app's tables failed")
        # Each of Rasa's stores is logged and skipped on its own when unreachable.
        rasa = rasa_retention.purge_rasa(
            self.engine,
            days,
            tracker_store_url=tracker_store_url(self.settings),
            events_db=events_file(self.settings),
            now=now,
        )
        counts.update(rasa.as_dict())
        logger.info(
            "transcript retention (%s, %d days): %s; next run %s",
            slot,
            days,
            counts,
            self.next_run_time(),
        )
        return None


def tracker_store_url(settings: Settings) -> str:
    """Return ``PA_TRACKER_STORE_URL``, or the embedded store's file under ``PA_VAR_DIR``."""
    return settings.tracker_store_url or f"sqlite:///{settings.var_dir / 'rasa-trackers.db'}"


def events_file(settings: Settings) -> Path | None:
    """Return the embedded events file the consumer reads (None unless it reads SQLite)."""
    if settings.analytics_source.strip().lower() != "sqlite":
        return None
    return Path(settings.analytics_events_db or settings.var_dir / "rasa-events.db")


def start(settings: Settings) -> tuple[AnalyticsConsumer, RetentionJob]:
    """Start the consumer and schedule the retention (called by the app's lifespan)."""
    domain_intents()
    consumer = AnalyticsConsumer(settings)
    consumer.start()
    job = RetentionJob(settings)
    job.start()
    return consumer, job


def stop(running: tuple[AnalyticsConsumer, RetentionJob]) -> None:
    """Stop both (called by the app's lifespan at shutdown)."""
    consumer, job = running
    job.shutdown()
    consumer.stop()
