"""rasa_addons.json_text: orjson's text of Rasa's data is the JSON ``json.dumps`` writes."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from rasa_addons.json_text import json_dumps


@pytest.mark.parametrize(
    "value",
    [
        {"event": "user", "text": "Où est ma formation ? 🙂", "parse_data": {"entities": []}},
        {"confidence": np.float64(0.7916342897162327), "ranking": [np.float64(1e-12)]},
        {"timestamp": 1796449434.1470845, "id": 2**70},  # past 64 bits: json.dumps writes it
        {1: "a key that is not a string"},
        [None, True, 0.1, "text"],
    ],
)
def test_the_text_decodes_to_what_json_dumps_writes(value: Any) -> None:
    assert json.loads(json_dumps(value)) == json.loads(json.dumps(value))


def test_non_ascii_text_is_written_as_utf8_not_escapes() -> None:
    assert json_dumps({"text": "Zürich"}) == '{"text":"Zürich"}'


def test_what_neither_encoder_can_write_is_refused() -> None:
    with pytest.raises(TypeError):
        json_dumps({"value": object()})
