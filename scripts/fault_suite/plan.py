"""What a run of the fault suite is: its plan, and what it records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["answered", "retry", "lost"]


@dataclass(frozen=True)
class Plan:
    """How many users chat for how long, and when each fault strikes (s from the start)."""

    name: str
    users: int
    seconds: float
    postgres_at: float
    redis_at: float
    redis_down_s: float
    rabbitmq_at: float
    rabbitmq_down_s: float
    rasa_kill_at: float
    think_s: tuple[float, float] = (1.0, 3.0)
    turn_deadline_s: float = 75.0


# The Rasa server is killed just before RabbitMQ stops, so that it starts again while
# RabbitMQ is down (what it buffered when killed would die with it: docs/operations.md).
FULL = Plan("full", 32, 120, 20, 35, 3, 50, 20, 49)
SHORT = Plan("short", 8, 35, 4, 8, 2, 12, 18, 11)


@dataclass
class Turn:
    """One message sent and what came back."""

    conversation: str
    text: str
    outcome: Outcome
    seconds: float
    at: float  # when it was sent, in seconds from the start of the run
    why: str = ""
    bot_texts: list[str | None] = field(default_factory=list)


@dataclass
class Conversation:
    """One chat session of one simulated user."""

    handle: str
    token: str | None
    turns: list[Turn] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sender_id(self) -> str:
        """Rasa's sender id: the handle without its MAC (``<id>.<MAC>``)."""
        return self.handle.rpartition(".")[0] or self.handle


@dataclass
class Figures:
    """What the suite counts and checks."""

    plan: str
    users: int
    seconds: float
    conversations: int = 0
    sent: int = 0
    answered: int = 0
    retry: int = 0
    lost: int = 0
    answered_p50_ms: float = 0.0
    answered_p99_ms: float = 0.0
    retry_p50_ms: float = 0.0
    history_broken: int = 0
    broker_missing: int = 0
    rasa_ready_after_kill_s: float | None = None
    rasa_ready_while_rabbitmq_down: bool = False
    retry_at: list[float] = field(default_factory=list)
    lost_examples: list[str] = field(default_factory=list)
    history_examples: list[str] = field(default_factory=list)
    fault_log: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No turn lost, every history intact, every answered turn on the queue."""
        return self.sent > 0 and not (self.lost or self.history_broken or self.broker_missing)
