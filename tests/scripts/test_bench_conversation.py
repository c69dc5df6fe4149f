"""The long-conversation bench's order: no conversation always follows the same turn.

Each turn is timed right after another, so what came before it matters: the stock
bot's long conversation ends at 300 ms a turn. Over the last rounds, where a new
conversation with each stack runs alongside the long one, each of our two
conversations must follow each of the stock bot's as often as the other.
"""

from __future__ import annotations

from collections import Counter

import pytest

from scripts import bench_conversation
from scripts.bench_conversation import LAST_TURNS, converse


class Recorder:
    """Stands in for a conversation: records who was sent a turn, in order."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def send(self, text: str) -> float:
        self.log.append(self.name)
        return 0.001


def test_each_of_our_conversations_follows_each_stock_turn_as_often(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench_conversation, "SETTLE_SECONDS", 0.0)
    log: list[str] = []
    made: Counter[str] = Counter()

    def maker(stack: str):  # the long conversation first, then the new one
        def make() -> Recorder:
            made[stack] += 1
            return Recorder(f"{stack} {'long' if made[stack] == 1 else 'new'}", log)

        return make

    turns = 2 * LAST_TURNS
    converse(maker("ours"), maker("stock"), {"ours": [], "stock": []}, turns)  # type: ignore[arg-type]

    last_rounds = log[-4 * LAST_TURNS :]
    follows = Counter(
        (before, after)
        for before, after in zip(last_rounds, last_rounds[1:], strict=False)
        if before.startswith("stock") and after.startswith("ours")
    )
    # 23 changes of round in 24 rounds: as even as four kinds of change can be.
    counts = [follows[s, o] for s in ("stock long", "stock new") for o in ("ours long", "ours new")]
    assert sum(counts) == LAST_TURNS - 1
    assert max(counts) - min(counts) <= 1, follows
