"""Parse-data properties that serve the turn they were made in, and are never stored.

The NLU keeps each message's MiniLM sentence embedding in its parse data
(``text_embedding``, rasa_addons/components/minilm_featurizer.py) so that the knowledge
action searches with it instead of embedding the text again. Once the turn is over it
has served: stored, it would add about 2 KB to every user event in the tracker store
and the event broker, to every later read of the conversation, and would keep a
derived copy of a partner's words beside them. Both tracker stores drop it before
they publish and write a turn (``drop_turn_only_properties``).
"""

from __future__ import annotations

from typing import Any, cast

from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from knowledge.minilm_onnx import EMBEDDING_PROPERTY

TURN_ONLY_PROPERTIES = (EMBEDDING_PROPERTY,)


def drop_turn_only_properties(tracker: DialogueStateTracker) -> None:
    """Remove the turn-only properties from the messages of the turn about to be saved.

    Every save drops them, so only the messages since the last save carry any: the
    walk back stops at the first user message without one (a constant cost per turn,
    however long the conversation).
    """
    for event in reversed(tracker.events):
        if not isinstance(event, UserUttered):
            continue
        # A property the NLU added: not among the keys Rasa's type for parse data names.
        parse_data = cast(dict[str, Any], event.parse_data)
        found = [name for name in TURN_ONLY_PROPERTIES if name in parse_data]
        if not found:
            return
        for name in found:
            del parse_data[name]
