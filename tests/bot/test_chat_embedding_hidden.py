"""The NLU's embedding in a message's parse data is shown to nobody.

Rasa keeps each message's MiniLM embedding in its parse data (``text_embedding``, for
the knowledge action). The widget's restored history and the operator's view of a
conversation are built from the same tracker events: neither carries it.
"""

from __future__ import annotations

import json

import numpy as np

from bot.routers.chat import history_messages
from knowledge.minilm_onnx import EMBEDDING_PROPERTY, pack_vector
from partners.handoff_live import lines_of

EMBEDDING = pack_vector(np.full(384, 0.5, dtype=np.float32), "0" * 64)
EVENTS = [
    {
        "event": "user",
        "text": "what does the sec competency require?",
        "message_id": "m-1",
        "timestamp": 1_700_000_000,
        "parse_data": {
            "text": "what does the sec competency require?",
            "intent": {"name": "ask_competency", "confidence": 0.95},
            "entities": [],
            EMBEDDING_PROPERTY: EMBEDDING,
        },
    },
    {"event": "bot", "text": "Security Operations (C-SECURITY) is a competency.", "data": {}},
]


def test_the_widget_history_and_the_operator_view_leave_the_embedding_out() -> None:
    shown = [
        json.dumps([m.model_dump(by_alias=True) for m in history_messages(EVENTS)]),
        json.dumps(lines_of(EVENTS)),
    ]
    for text in shown:
        assert "sec competency" in text
        assert EMBEDDING_PROPERTY not in text and EMBEDDING["float32"][:40] not in text
