"""Counting the events Rasa's trackers replay: a cost that must not grow with a conversation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker


@contextmanager
def counting_replays(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Count every ``DialogueStateTracker.update`` meanwhile, in the one item it yields."""
    replayed = [0]
    rasas_update = DialogueStateTracker.update

    def counting_update(self: DialogueStateTracker, event: Event, *args: Any) -> None:
        replayed[0] += 1
        rasas_update(self, event, *args)

    with monkeypatch.context() as counting:
        counting.setattr(DialogueStateTracker, "update", counting_update)
        yield replayed
