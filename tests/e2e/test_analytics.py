"""Conversations held through the app reach the operators' analytics, with their outcomes.

The real stack (``make run``'s launcher): Rasa publishes its events into the SQLite
events file, the app's consumer writes the analytics tables, an operator reads them.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.conftest import Stack

pytestmark = pytest.mark.e2e

DEADLINE_SECONDS = 30
UNANSWERABLE = "Can I bring my dog to the Barcelona partner summit?"


def _sender(session: str) -> str:
    return session.rpartition(".")[0]  # the handle is "<conversation id>.<MAC>"


def _conversation(stack: Stack, token: str, sender: str, turns: int) -> dict[str, Any]:
    """Poll until the conversation's turns are in analytics, closed with their outcomes."""
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + DEADLINE_SECONDS
    last: Any = None
    while time.monotonic() < deadline:
        response = httpx.get(
            f"{stack.app_url}/v1/analytics/conversations/{sender}", headers=headers
        )
        if response.status_code == 200:
            last = response.json()
            done = [t for t in last["turns"] if t["outcome"] and t["latency_ms"] is not None]
            if len(done) >= turns:
                return dict(last)
        time.sleep(0.5)
    pytest.fail(f"analytics did not show {turns} turns of {sender} in {DEADLINE_SECONDS} s: {last}")


def test_conversations_just_held_show_up_in_analytics_with_their_outcomes(stack: Stack) -> None:
    operator = stack.operator_token
    partner = stack.sign_in("P-0001")
    first = stack.chat("what does the Security competency require?")
    stack.chat(UNANSWERABLE, session=first.session)
    person = stack.chat("I want to talk to a human")
    mine = stack.chat("what's my tier?", token=partner)

    anonymous = _conversation(stack, operator, _sender(first.session), 2)
    outcomes = [turn["outcome"] for turn in anonymous["turns"]]
    assert outcomes[0] == "answered_citation"
    assert outcomes[1] in ("dont_know", "out_of_scope", "fallback")
    assert anonymous["channel"] == "web" and anonymous["partner_id"] is None
    assert anonymous["turns"][1]["user_text"] == UNANSWERABLE

    handed_over = _conversation(stack, operator, _sender(person.session), 1)
    assert handed_over["turns"][0]["outcome"] == "handoff"

    signed_in = _conversation(stack, operator, _sender(mine.session), 1)
    assert signed_in["partner_id"] == "P-0001" and signed_in["tier"]
    assert signed_in["turns"][0]["outcome"] == "answered_partner_data"

    summary = httpx.get(
        f"{stack.app_url}/v1/analytics/summary?channel=web",
        headers={"Authorization": f"Bearer {operator}"},
    ).json()
    assert summary["turns"] >= 4 and summary["outcomes"]["handoff"] >= 1
    assert summary["outcomes"]["answered_partner_data"] >= 1
    examples = [e["text"] for c in summary["top_unanswered"] for e in c["examples"]]
    assert UNANSWERABLE in examples
    assert summary["latency_ms"]["p50"] is not None
