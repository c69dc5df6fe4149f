"""One run of the fault suite: a fresh cluster, users chatting under faults, the figures."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from contextlib import suppress
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
import pika

from scripts.fault_suite.checks import broker_missing, check_histories
from scripts.fault_suite.cluster import APP_PORT, RASA_PORTS, Cluster
from scripts.fault_suite.plan import Conversation, Figures, Plan
from scripts.fault_suite.services import (
    drain_queue,
    missing_prerequisites,
    private_databases,
    reachable,
    start_rabbitmq,
    start_redis,
)
from scripts.fault_suite.strikes import Faults
from scripts.fault_suite.users import User


def percentile(values: list[float], q: float) -> float:
    """Return the ``q``-quantile (0..1) of ``values`` by the nearest rank; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def _chat_under_faults(plan: Plan, cluster: Cluster, model: str) -> tuple[list[User], Faults]:
    started = time.monotonic()
    faults = Faults(plan, cluster, model, started)
    limits = httpx.Limits(max_connections=plan.users * 2)
    async with httpx.AsyncClient(base_url=cluster.app_url, timeout=30, limits=limits) as client:
        users = [User(n, plan, client, started) for n in range(plan.users)]

        async def staggered(user: User, delay: float) -> None:
            await asyncio.sleep(delay)
            await user.run()

        fault_task = asyncio.create_task(faults.run())
        try:
            await asyncio.gather(*(staggered(u, 3.0 * n / plan.users) for n, u in enumerate(users)))
        finally:
            await fault_task
    return users, faults


def run(plan: Plan, model: str, folder: Path) -> Figures:
    """Run ``plan`` on a fresh cluster (logs in ``folder``); return the figures.

    Raises:
        RuntimeError: A service or tool is missing, or a server did not start.

    """
    missing = missing_prerequisites()
    busy = [port for port in (APP_PORT, *RASA_PORTS) if reachable(port)]
    if missing or busy:
        needs = missing + [f"port {port} free" for port in busy]
        raise RuntimeError("the fault suite needs " + ", ".join(needs))
    run_id = uuid.uuid4().hex[:8]
    cluster = Cluster(folder, run_id)
    figures = Figures(plan.name, plan.users, plan.seconds)
    conversations: list[Conversation] = []
    events: list[dict[str, Any]] = []
    with private_databases([cluster.trackers_db, cluster.partners_db]):
        try:
            cluster.start(model)
            users, faults = asyncio.run(_chat_under_faults(plan, cluster, model))
            conversations = [c for user in users for c in user.conversations]
            _count(figures, conversations, faults)
            problems = asyncio.run(check_histories(cluster.app_url, conversations))
            figures.history_broken = len(problems)
            figures.history_examples = problems[:5]
        finally:
            with suppress(Exception):
                start_rabbitmq()
            with suppress(Exception):
                start_redis()
            cluster.stop()  # each Rasa sends what it still buffers before it exits
            with suppress(pika.exceptions.AMQPError):
                events = drain_queue(cluster.queue)
    figures.broker_missing = broker_missing(conversations, events)
    record = {
        "figures": asdict(figures),
        "conversations": [asdict(c) for c in conversations],
        "queue": events,
    }
    (folder / "record.json").write_text(json.dumps(record, indent=1))
    return figures


def _count(figures: Figures, conversations: list[Conversation], faults: Faults) -> None:
    turns = [turn for conversation in conversations for turn in conversation.turns]
    figures.conversations = len(conversations)
    figures.sent = len(turns)
    figures.answered = sum(turn.outcome == "answered" for turn in turns)
    figures.retry = sum(turn.outcome == "retry" for turn in turns)
    figures.lost = sum(turn.outcome == "lost" for turn in turns)
    answered = [turn.seconds * 1000 for turn in turns if turn.outcome == "answered"]
    retried = [turn.seconds * 1000 for turn in turns if turn.outcome == "retry"]
    figures.answered_p50_ms = percentile(answered, 0.50)
    figures.answered_p99_ms = percentile(answered, 0.99)
    figures.retry_p50_ms = percentile(retried, 0.50)
    figures.retry_at = sorted(round(turn.at, 1) for turn in turns if turn.outcome == "retry")
    figures.lost_examples = [
        f"{turn.at:5.1f} s {turn.conversation} {turn.text!r}: {turn.why}"
        for turn in turns
        if turn.outcome == "lost"
    ][:5]
    figures.fault_log = faults.log
    if faults.rasa_ready_at is not None and faults.rasa_killed_at is not None:
        figures.rasa_ready_after_kill_s = faults.rasa_ready_at - faults.rasa_killed_at
        figures.rasa_ready_while_rabbitmq_down = (
            faults.rabbitmq_back_at is None or faults.rasa_ready_at < faults.rabbitmq_back_at
        )
