"""Partner actions through rasa-sdk's executor, with tracker fixtures (partner_*.json)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from tests.partners.fixtures import Store, action_call, process_settings, seeded_store


@pytest.fixture(scope="module")
def executor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionExecutor]:
    store: Store = seeded_store(tmp_path_factory)
    with process_settings(store):
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


def days_left() -> int:
    return max(0, (dt.date(2027, 2, 1) - dt.date.today()).days)


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
    assert "1 February 2027" in text
    if days_left():
        assert f"{days_left()} day" in text
    (card,) = cards
    assert card["type"] == "tier_progress"
    assert (card["tier"], card["next_tier"], card["days_left"]) == ("Silver", "Gold", days_left())
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


def test_what_if_another_competency_takes_the_partner_further(executor: ActionExecutor) -> None:
    texts, cards, _ = run(executor, action_call("partner_what_if"))
    (text,) = texts
    assert text.startswith("With Mainframe Modernization you would have 4 competencies.")
    assert "You would still be Silver." in text  # score and revenue are still short of Gold
    assert "Client satisfaction score: 7.6 of 8.0 needed" in text
    assert "Competencies earned" not in text  # that requirement would be met
    assert cards[0]["tier"] == "Silver"


def test_what_if_finds_the_competency_in_the_text(executor: ActionExecutor) -> None:
    call = action_call(
        "partner_what_if", entities=[], text="what if we earned the Security competency?"
    )
    texts, _, _ = run(executor, call)
    assert texts[0].startswith("With Security Operations")


def test_what_if_without_a_competency_asks_which(executor: ActionExecutor) -> None:
    call = action_call("partner_what_if", entities=[], text="what if we did better?")
    texts, cards, _ = run(executor, call)
    assert texts[0].startswith("Which competency do you mean?")
    assert cards == []


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


def test_unlinked_slack_user_is_asked_to_link(executor: ActionExecutor) -> None:
    call = action_call("partner_slack", metadata={"slack_user_id": "U0SAMPLE0020"})
    texts, _, _ = run(executor, call)
    assert 'Say "link my account"' in texts[0]


def test_a_failing_store_gets_an_apology_not_a_stack_trace(
    executor: ActionExecutor,
    tmp_path_factory: pytest.TempPathFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.settings import get_settings

    broken = tmp_path_factory.mktemp("broken") / "missing-dir" / "x" / "partners.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PA_DATABASE_URL", f"sqlite:///{broken.parent}/")  # a directory, not a file
        get_settings.cache_clear()
        try:
            texts, cards, _ = run(executor, action_call("partner_tier_status"))
        finally:
            get_settings.cache_clear()
    assert texts == [
        "Sorry, I can't read partner records right now. Please try again in a few minutes, "
        'or say "talk to a human".'
    ]
    assert "action_tier_status failed" in caplog.text
