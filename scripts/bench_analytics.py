"""Benchmark of analytics on PostgreSQL: ingestion through RabbitMQ, summary query time.

1. Ingestion: ``--turns`` turns of Rasa events (five events each, as Rasa publishes
   them, a fifth of them unanswered and so embedded and clustered) are published to a
   queue of the local RabbitMQ, then consumed by the app's ``RabbitEventSource`` into a
   fresh PostgreSQL database; prints turns per second (target >= 100).
2. Summary: the turns table is filled to ``--events`` events' worth of turns (about
   one turn in 6.7 events), and ``GET /v1/analytics/summary``'s queries are timed
   unfiltered, by channel, by tier and for one week (target <= 200 ms each).

Needs the local PostgreSQL (trust authentication; the database ``pa_bench_analytics`` is
created when missing and emptied on every run) and RabbitMQ (guest)::

    .venv/bin/python -m scripts.bench_analytics
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time

import pika
import psycopg
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from bot.analytics_ingest import embed_questions
from partners.analytics import queries
from partners.analytics.clusters import Clusterer
from partners.analytics.ingest import Ingestor
from partners.analytics.models import AnalyticsTurn
from partners.analytics.sources import RabbitEventSource
from partners.db import create_db_engine
from partners.migrate import upgrade
from scripts import sample_rasa_events as ev

QUEUE = "pa_bench_analytics"
KINDS = ("citation", "citation", "partner", "dont_know", "greet")
UNANSWERED = [
    "can I bring a guest to the partner summit",
    "is there parking at the summit venue",
    "how do I change my company's billing address",
    "who is my channel account manager",
    "can I get a refund for a failed exam",
]
EVENTS_PER_TURN = 6.7  # Rasa's events per turn, measured on the sample conversations


def _events(turns: int) -> list[dict]:
    start = time.time()
    events: list[dict] = []
    for index in range(turns):
        sender = f"api-bench-{index // 5}"
        kind = KINDS[index % len(KINDS)]
        question = random.choice(UNANSWERED) if kind == "dont_know" else f"question {index}"
        events += ev.turn(sender, f"{question} #{index}", kind, start + index * 0.01)
    return events


def bench_ingest(url: str, turns: int) -> float:
    """Publish and consume ``turns`` turns; return turns per second."""
    engine = create_db_engine(url)
    parameters = pika.ConnectionParameters("127.0.0.1", 5672)
    connection = pika.BlockingConnection(parameters)
    channel = connection.channel()
    channel.queue_declare(QUEUE, durable=True)
    channel.queue_purge(QUEUE)
    for event in _events(turns):
        channel.basic_publish("", QUEUE, json.dumps(event).encode())
    connection.close()
    embed_questions(["warm up"])  # the model is loaded once per process, not per batch
    source = RabbitEventSource(parameters, QUEUE, exchange=None)
    ingestor = Ingestor(Clusterer(embed_questions), tier_of=lambda _s, _p: None)
    began = time.perf_counter()
    while source.run_once(engine, ingestor):
        pass
    elapsed = time.perf_counter() - began - source.wait_seconds
    source.close()
    return turns / elapsed


def fill(url: str, events: int) -> int:
    """Fill the turns table to ``events`` events' worth of turns; return the turn count."""
    engine = create_db_engine(url)
    target = int(events / EVENTS_PER_TURN)
    rng = random.Random(7)
    outcomes = ["answered_citation"] * 5 + ["answered_partner_data"] * 2 + [
        "dont_know", "out_of_scope", "fallback", "handoff", "error", None,
    ]  # fmt: skip
    with Session(engine) as session:
        have = session.scalar(text("SELECT count(*) FROM analytics_turns")) or 0
        start = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
        rows = []
        for index in range(int(have), target):
            at = start + dt.timedelta(seconds=index * 60)
            outcome = rng.choice(outcomes)
            unanswered = outcome in ("dont_know", "out_of_scope", "fallback")
            rows.append(
                {
                    "sender_id": f"bench-{index // 6}",
                    "message_id": f"m{index}",
                    "at": at,
                    "day": at.date(),
                    "channel": rng.choice(["web", "web", "slack", "api"]),
                    "tier": rng.choice(["Registered", "Silver", "Gold", "Platinum", None]),
                    "user_text": f"question {index}",
                    "intent": f"intent_{rng.randrange(30)}",
                    "confidence": rng.random(),
                    "outcome": outcome,
                    "latency_ms": rng.randrange(40, 900),
                    "bot_texts": "[]",
                    "cluster_id": rng.randrange(1, 400) if unanswered else None,
                    "trace": "{}",
                    "closed": True,
                }  # fmt: skip
            )
            if len(rows) == 10_000:
                session.execute(insert(AnalyticsTurn), rows)
                rows = []
        if rows:
            session.execute(insert(AnalyticsTurn), rows)
        # One conversation per sender, as the ingest writes it (its first turn's values).
        session.execute(
            text(
                "INSERT INTO analytics_conversations (sender_id, channel, partner_id, tier,"
                " started_at, started_day, last_at, turns)"
                " SELECT DISTINCT ON (sender_id) sender_id, channel, NULL, tier, at, day,"
                " at, 6 FROM analytics_turns ORDER BY sender_id, at"
                " ON CONFLICT (sender_id) DO NOTHING"
            )
        )
        session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))  # as autovacuum keeps it in production
    return target


def bench_summary(url: str, repeats: int = 5) -> dict[str, float]:
    """Return the median time of the summary per filter set, in milliseconds."""
    engine = create_db_engine(url)
    cases = {
        "all": queries.Filters(),
        "channel=slack": queries.Filters(channel="slack"),
        "tier=Gold": queries.Filters(tier="Gold"),
        "one week": queries.Filters(start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 7)),
    }
    result = {}
    with Session(engine) as session:
        for name, chosen in cases.items():
            times = []
            for _ in range(repeats):
                began = time.perf_counter()
                queries.summary(session, chosen)
                times.append((time.perf_counter() - began) * 1000)
            result[name] = statistics.median(times)
    return result


def ensure_database(url: str) -> None:
    """Create the benchmark's database on its server when it does not exist yet."""
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/pa_bench_analytics")
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    ensure_database(args.url)
    engine = create_db_engine(args.url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    rate = bench_ingest(args.url, args.turns)
    print(f"ingestion through RabbitMQ into PostgreSQL: {rate:.0f} turns/s (target >= 100)")
    turns = fill(args.url, args.events)
    print(f"summary over {args.events:,} events ({turns:,} turns):")
    for name, ms in bench_summary(args.url).items():
        print(f"  {name:<14} {ms:6.1f} ms (target <= 200)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
