"""Partner actions through rasa-sdk's executor, with tracker fixtures (partner_*.json)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

import actions.base as action_base
from partners.context import PartnerContext, default_context
from settings import get_settings
from tests.fakes.fake_slack import FakeSlack
from tests.partners.fixtures import (
    Store,
    action_call,
    process_settings,
    seeded_store,
    slack_metadata,
)

# The partner actions' clock, frozen inside the transition window (2026-03-01 to
# 2027-02-01): the deadline checks must run whatever day the tests run on.
TODAY = dt.date(2026, 11, 29)
DAYS_LEFT = 64  # 2026-11-29 to 2027-02-01, counted by hand


def frozen_context(today: dt.date) -> Callable[[], PartnerContext]:
    """``actions.base.default_context`` with its clock stopped at ``today``."""
    return lambda: dataclasses.replace(default_context(), clock=lambda: today)


@pytest.fixture(scope="module")
def executor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionExecutor]:
    store: Store = seeded_store(tmp_path_factory)
    with process_settings(store), pytest.MonkeyPatch.context() as patch:
        patch.setattr(action_base, "default_context", frozen_context(TODAY))
        executor = ActionExecutor()
        executor.register_package("actions")
        yield executor


def run(executor: ActionExecutor, call: dict[str, Any]) -> tuple[list[str], list[dict], list[dict]]:
    """Run one action call; return its texts, cards and events."""
    result = asyncio.run(executor.run(call))
    assert result is not None
    texts = [r["text"] for r in result.responses if r.get("text")]
    cards = [r["custom"] for r in result.responses if r.get("custom")]
    return texts, cards, result.events


def test_tier_status_gives_tier_next_tier_missing_items_and_deadline(
    executor: ActionExecutor,
) -> None:
    texts, cards, _ = run(executor, action_call("partner_tier_status"))
    (text,) = texts
    assert "Nordlicht Systemhaus GmbH (P-0001) is **Silver**" in text
    assert "Still missing for Gold:" in text
    assert "Competencies earned (client satisfaction included): 3 of 4" in text
    assert "Client satisfaction score: 7.6 of 8.0 needed" in text
    assert "Revenue last year: 420,000 EUR of 450,000 EUR needed" in text
    assert "The transition window ends on 1 February 2027: 64 days left." in text
    (card,) = cards
    assert card["type"] == "tier_progress"
    assert (card["tier"], card["next_tier"], card["days_left"]) == ("Silver", "Gold", DAYS_LEFT)
    assert card["transition_end"] == "2027-02-01"
    labels = {item["label"]: (item["have"], item["need"], item["unit"]) for item in card["items"]}
    assert labels["Client satisfaction score"] == (7.6, 8.0, "score")
    assert labels["Revenue last year"] == (420_000, 450_000, "EUR")


def test_tier_gap_for_a_named_tier_lists_every_requirement(executor: ActionExecutor) -> None:
    texts, cards, _ = run(executor, action_call("partner_tier_gap"))
    (text,) = texts
    assert "is Silver. For Gold you need:" in text
    assert "✓ Client Satisfaction competency: earned" in text
    assert "✗ Client satisfaction score: 7.6 of 8.0 needed" in text
    assert "Missing: 3 of 4 requirements." in text
    assert cards[0]["next_tier"] == "Gold"


def test_tier_gap_to_platinum_and_to_a_tier_already_held(executor: ActionExecutor) -> None:
    platinum = [{"entity": "tier", "value": "Platinum"}]
    texts, cards, _ = run(executor, action_call("partner_tier_gap", entities=platinum))
    assert "For Platinum you need:" in texts[0]
    assert "Competencies earned (client satisfaction included): 3 of 6" in texts[0]
    assert cards[0]["next_tier"] == "Platinum"
    silver = [{"entity": "tier", "value": "silver"}]
    texts, _, _ = run(executor, action_call("partner_tier_gap", entities=silver))
    assert texts[0].startswith("You already hold Silver (you are Silver). ")
    assert "For Gold you need:" in texts[0]


def test_recommendations_without_a_goal_close_the_gap(executor: ActionExecutor) -> None:
    texts, _, events = run(executor, action_call("partner_recommend"))
    (text,) = texts
    assert text.startswith("Courses that close your gap to Gold fastest:")
    assert "1. U-" in text and "credits still needed" in text and " h" in text
    assert {"event": "slot", "name": "goal", "value": None} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]


def test_recommendations_for_a_goal(executor: ActionExecutor) -> None:
    texts, _, _ = run(executor, action_call("partner_recommend", slots={"goal": "security"}))
    assert 'and your goal "security"' in texts[0]
    assert "matches your goal" in texts[0]


@pytest.mark.parametrize(
    "action",
    ["action_tier_status", "action_tier_gap", "action_recommend_courses", "action_what_if"],
)
def test_without_sign_in_no_partner_data_is_shown(executor: ActionExecutor, action: str) -> None:
    texts, cards, events = run(executor, action_call("partner_signed_out", next_action=action))
    assert texts == [
        "I can only show your company's tier, gaps and courses once I know who you are. "
        "Please sign in on the partner portal with your partner id and passcode, then ask again."
    ]
    assert cards == [] and events == []


def test_slack_user_linked_to_a_partner_gets_its_status_and_card(
    executor: ActionExecutor,
) -> None:
    texts, cards, _ = run(executor, action_call("partner_slack"))
    assert "(P-0020) is **" in texts[0]
    # The Slack channel draws the card as blocks with text progress bars.
    assert [card["type"] for card in cards] == ["tier_progress"]


def test_after_the_window_the_status_says_it_has_ended(
    executor: ActionExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(action_base, "default_context", frozen_context(dt.date(2027, 3, 1)))
    texts, cards, _ = run(executor, action_call("partner_tier_status"))
    assert "The transition window ended on 1 February 2027." in texts[0]
    assert "days left" not in texts[0]
    assert cards[0]["days_left"] == 0


def test_unlinked_slack_user_is_asked_to_link(
    executor: ActionExecutor, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Slack message the Slack connector verified (input channel slack, user and team)
    # from a user no partner has linked: the link goes to that user alone, through
    # Slack's API, and the reply stored in the conversation only says it was sent.
    for name, value in fake_slack.stack_env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    channel = f"D{uuid.uuid4().hex[:8].upper()}"
    metadata = {**slack_metadata(user="U-NOT-LINKED"), "out_channel": channel}
    try:
        texts, cards, _ = run(executor, action_call("partner_slack", metadata=metadata))
    finally:
        get_settings.cache_clear()
    (text,) = texts
    assert text.startswith("I've sent you a private one-time link"), text
    assert cards == [] and "P-0020" not in text and "Silver" not in text
    (private,) = fake_slack.ephemeral(channel)
    assert private["user"] == "U-NOT-LINKED"
    codes = re.findall(r"/link\?code=([A-Za-z0-9_-]+)", private["text"])
    assert len(codes) == 1, private["text"]
    assert codes[0] not in text and "code=" not in text


def test_a_failing_store_gets_an_apology_not_a_stack_trace(
    executor: ActionExecutor,
    tmp_path_factory: pytest.TempPathFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = tmp_path_factory.mktemp("broken") / "missing-dir" / "x" / "partners.db"
    call = action_call("partner_tier_status")  # signed in while the store still answered
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PA_DATABASE_URL", f"sqlite:///{broken.parent}/")  # a directory, not a file
        get_settings.cache_clear()
        try:
            texts, cards, _ = run(executor, call)
        finally:
            get_settings.cache_clear()
    assert texts == [
        "Sorry, I can't read partner records right now. Please try again in a few minutes, "
        'or say "talk to a human".'
    ]
    assert "action_tier_status failed" in caplog.text
