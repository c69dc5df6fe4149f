"""The faults themselves: each struck at its time in the plan, and undone."""

from __future__ import annotations

import asyncio
import time

from scripts.fault_suite.cluster import Cluster
from scripts.fault_suite.plan import Plan
from scripts.fault_suite.services import (
    start_rabbitmq,
    start_redis,
    stop_rabbitmq,
    stop_redis,
    terminate_postgres_connections,
)


class Faults:
    """Strikes the plan's faults at their times and undoes every one of them."""

    def __init__(self, plan: Plan, cluster: Cluster, model: str, started: float) -> None:
        """Faults of ``plan`` against ``cluster``, timed from ``started``."""
        self.plan, self.cluster, self.model, self.started = plan, cluster, model, started
        self.log: list[str] = []
        self.rabbitmq_back_at: float | None = None
        self.rasa_ready_at: float | None = None
        self.rasa_killed_at: float | None = None

    def _note(self, text: str) -> None:
        self.log.append(f"{time.monotonic() - self.started:6.1f} s  {text}")

    async def _at(self, second: float) -> None:
        await asyncio.sleep(max(0.0, self.started + second - time.monotonic()))

    async def run(self) -> None:
        """Strike every fault of the plan, each at its time, concurrently."""
        await asyncio.gather(self._postgres(), self._redis(), self._rabbitmq(), self._rasa())

    async def _postgres(self) -> None:
        await self._at(self.plan.postgres_at)
        databases = [self.cluster.trackers_db, self.cluster.partners_db]
        count = await asyncio.to_thread(terminate_postgres_connections, databases)
        self._note(f"PostgreSQL: terminated {count} connections")

    async def _redis(self) -> None:
        await self._at(self.plan.redis_at)
        try:
            await asyncio.to_thread(stop_redis)
            self._note("Redis: stopped")
            await asyncio.sleep(self.plan.redis_down_s)
        finally:
            await asyncio.to_thread(start_redis)
            self._note("Redis: started (empty)")

    async def _rabbitmq(self) -> None:
        await self._at(self.plan.rabbitmq_at)
        try:
            await asyncio.to_thread(stop_rabbitmq)
            self._note("RabbitMQ: stopped")
            await asyncio.sleep(self.plan.rabbitmq_down_s)
        finally:
            await asyncio.to_thread(start_rabbitmq)
            self.rabbitmq_back_at = time.monotonic()
            self._note("RabbitMQ: started")

    async def _rasa(self) -> None:
        await self._at(self.plan.rasa_kill_at)
        await asyncio.to_thread(self.cluster.kill_rasa, 0)
        self.rasa_killed_at = time.monotonic()
        self._note("Rasa 1: killed (SIGKILL), starting it again")
        await asyncio.to_thread(self.cluster.start_rasa, 0, self.model)
        self.rasa_ready_at = time.monotonic()
        self._note("Rasa 1: answers again")
