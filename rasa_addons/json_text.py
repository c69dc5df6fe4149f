"""JSON text of Rasa's data, encoded with orjson: one encoder for the Rasa side.

Rasa encodes with ``json.dumps``. For the bodies of action calls and the rows of every
stored or published event, orjson gives the same JSON (apart from spacing and from
writing non-ASCII characters as UTF-8 instead of escapes) in a fraction of the time;
anything it cannot encode goes to ``json.dumps`` as before.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def _as_json_base_type(value: Any) -> Any:
    # json.dumps writes subclasses of float, int and str as their base type; orjson
    # asks here (NumPy's float64 in the NLU's confidences is such a subclass).
    for base in (float, int, str):
        if isinstance(value, base):
            return base(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def json_dumps(value: Any) -> str:
    """Encode ``value`` as JSON with orjson, or with ``json.dumps`` where orjson cannot."""
    try:
        return orjson.dumps(value, default=_as_json_base_type, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError too: integers over 64 bits, odd types
        return json.dumps(value)
