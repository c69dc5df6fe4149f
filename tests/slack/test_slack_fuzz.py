"""Correctly signed but arbitrary Slack requests: never a server error, never a dead channel.

Hypothesis builds Events API bodies around Slack's shape (any field may hold any JSON
value, or be missing) and interactivity forms, signs them with the real secret (the
signature check is not what is tried here) and posts them to the stack's Slack
webhook. Every one must get a 2xx or a 4xx with a reason; afterwards the channel still
answers a normal message.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.fake_slack import FakeSlack
from tests.slack.conversation import new_channel, new_user, sentinel
from tests.slack.slack_events import SlackSender

pytestmark = pytest.mark.e2e

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["message", "app_mention", "im", "U0FUZZ", "D0FUZZ", "1700000000.1"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A plausible value, any JSON value, or (None here) the field left out."""
    return st.one_of(st.none(), strategy, json_values)


ids = st.from_regex(r"\A[A-Z][A-Z0-9]{3,10}\Z")
events = st.fixed_dictionaries(
    {},
    optional={
        "type": _maybe(st.sampled_from(["message", "app_mention", "reaction_added"])),
        "subtype": _maybe(st.sampled_from(["bot_message", "message_changed"])),
        "user": _maybe(ids),
        "text": _maybe(st.text(max_size=60)),
        "ts": _maybe(st.just("1700000000.000100")),
        "thread_ts": _maybe(st.just("1700000000.000001")),
        "channel": _maybe(ids),
        "channel_type": _maybe(st.sampled_from(["im", "channel"])),
        "bot_id": _maybe(ids),
        "team": _maybe(ids),
    },
)
callbacks = st.fixed_dictionaries(
    {
        "type": st.just("event_callback"),
        "event_id": _maybe(ids),
        "event": st.one_of(events, json_values),
    },
    optional={
        "team_id": _maybe(ids),
        "authed_users": _maybe(st.lists(ids, max_size=2)),
        "authorizations": _maybe(
            st.lists(st.fixed_dictionaries({"user_id": _maybe(ids)}), max_size=2)
        ),
    },
)
others = st.fixed_dictionaries(
    {"type": _maybe(st.sampled_from(["url_verification", "app_rate_limited"]))},
    optional={"challenge": json_values, "token": json_values},
)
# Mostly event callbacks (what carries messages), some other notices, some any JSON.
bodies = st.one_of(callbacks, callbacks, others, json_values)
actions = st.fixed_dictionaries(
    {},
    optional={
        "type": _maybe(st.sampled_from(["button", "static_select", "select", "datepicker"])),
        "value": _maybe(st.text(max_size=30)),
        "selected_option": json_values,
        "selected_options": json_values,
        "action_ts": _maybe(st.just("1700000000.2")),
    },
)
payloads = (
    st.fixed_dictionaries(
        {},
        optional={
            "type": _maybe(st.just("block_actions")),
            "trigger_id": _maybe(ids),
            "user": st.one_of(st.fixed_dictionaries({"id": _maybe(ids)}), json_values),
            "team": json_values,
            "channel": st.one_of(st.fixed_dictionaries({"id": _maybe(ids)}), json_values),
            "container": json_values,
            "message": json_values,
            "actions": st.one_of(st.lists(actions, max_size=2), json_values),
        },
    )
    | json_values
)


def _unique(body: Any) -> Any:
    # Fresh event ids, so a body is not taken for a retry of an earlier one.
    if isinstance(body, dict) and isinstance(body.get("event_id"), str):
        body = dict(body, event_id=body["event_id"] + new_user())
    return body


def _check(response: Any, body: bytes) -> None:
    assert response.status_code < 500, (response.status_code, response.text, body[:500])
    if response.status_code >= 400:
        assert response.text.strip(), "a 4xx must say why"


FUZZ = settings(
    max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_signed_garbage_never_gets_a_5xx_nor_stops_the_channel(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    @FUZZ
    @given(body=bodies)
    def any_event_body(body: Any) -> None:
        raw = json.dumps(_unique(body)).encode()
        _check(slack.post(raw, "application/json"), raw)

    @FUZZ
    @given(payload=payloads, raw=st.binary(max_size=80))
    def any_interaction_or_bytes(payload: Any, raw: bytes) -> None:
        form = urlencode({"payload": json.dumps(payload)}).encode()
        _check(slack.post(form, "application/x-www-form-urlencoded"), form)
        for content_type in ("application/json", "application/x-www-form-urlencoded"):
            _check(slack.post(raw, content_type), raw)

    any_event_body()
    any_interaction_or_bytes()
    # The channel still answers a real message afterwards.
    sentinel(slack, fake_slack, new_user(), new_channel())
