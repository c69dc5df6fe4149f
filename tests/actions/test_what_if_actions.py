"""``action_what_if`` through rasa-sdk's executor, for the signed-in sample partner P-0001.

P-0001 (Nordlicht Systemhaus GmbH, sample data) is Silver in Germany with 3
competencies, a score of 7.6 and 420,000 EUR; Gold needs 4, 8.0 and 450,000 EUR.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor
from sqlalchemy.orm import Session

import actions.base as action_base
from partners.context import default_context
from partners.models import Partner
from partners.snapshot import load_snapshot
from tests.partners.fixtures import Store, action_call, process_settings, seeded_store
from tests.rasa_env import run_rasa_module

TODAY = dt.date(2026, 11, 29)  # inside the transition window: 64 days to 1 February 2027
DEADLINE = "The transition window ends on 1 February 2027: 64 days left."
UNCHANGED = "This is only a what-if: your partner record is unchanged."


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return seeded_store(tmp_path_factory)


@pytest.fixture(scope="module")
def executor(store: Store) -> Iterator[ActionExecutor]:
    with process_settings(store), pytest.MonkeyPatch.context() as patch:
        frozen = lambda: dataclasses.replace(default_context(), clock=lambda: TODAY)  # noqa: E731
        patch.setattr(action_base, "default_context", frozen)
        executor = ActionExecutor()
        executor.register_package("actions")
        yield executor


def ask(executor: ActionExecutor, text: str, **changes: Any) -> tuple[str, list[dict]]:
    """Ask ``text`` as the signed-in P-0001 (no NLU entities); return the text and cards."""
    call = action_call("partner_what_if", text=text, **({"entities": []} | changes))
    result = asyncio.run(executor.run(call))
    assert result is not None
    texts = [r["text"] for r in result.responses if r.get("text")]
    cards = [r["custom"] for r in result.responses if r.get("custom")]
    assert len(texts) == 1, texts
    return texts[0], cards


def test_competencies_by_name_and_by_area(executor: ActionExecutor) -> None:
    text, cards = ask(executor, "What if we earned Security and Data?")
    assert text.startswith("If you earned Security Operations and "), text
    assert "(of the Data and analytics competencies, the one you are closest to)" in text
    assert "you would have 5 competencies and still be **Silver**." in text
    assert "- ✗ Client satisfaction score: 7.6 of 8.0 needed" in text
    assert "Competencies earned" not in text  # 5 of 4: met
    assert DEADLINE in text and UNCHANGED in text
    (card,) = cards
    assert (card["what_if"], card["partner_id"], card["tier"]) == (True, "P-0001", "Silver")


def test_certified_people_in_an_area(executor: ActionExecutor) -> None:
    text, cards = ask(executor, "what if two more people certify in Cloud?")
    assert text.startswith("If 2 more of your people certified in "), text
    assert "(of the Cloud competencies, the one you are closest to)" in text
    assert "certified people it needs" in text
    assert "Each certification passed earns 1 course voucher: 2 more." in text
    assert DEADLINE in text and cards[0]["what_if"] is True


def test_satisfaction_score(executor: ActionExecutor) -> None:
    text, cards = ask(executor, "what if our satisfaction score rose to 8.6?")
    assert text.startswith(
        "If your client satisfaction score was 8.6 (it is 7.6), you would still be **Silver**."
    ), text
    assert "Client satisfaction score:" not in text  # 8.6 of 8.0: met
    assert "- ✗ Revenue last year: 420,000 EUR of 450,000 EUR needed" in text
    items = {item["label"]: item for item in cards[0]["items"]}
    assert (
        items["Client satisfaction score"]["have"],
        items["Client satisfaction score"]["met"],
    ) == (8.6, True)


def test_revenue_in_the_partners_country(executor: ActionExecutor) -> None:
    text, _ = ask(executor, "what if revenue in Germany reached 600,000?")
    assert text.startswith(
        "If your revenue last year was 600,000 EUR (it is 420,000 EUR), you would still be "
        "**Silver**."
    ), text
    assert "Revenue last year" not in text.split("\n", 1)[1]  # met, so not missing


def test_a_combination_reaches_gold(executor: ActionExecutor) -> None:
    text, cards = ask(
        executor, "what if we earned Security and our score rose to 8.2 and revenue hit €450k"
    )
    assert "you would have 4 competencies and move up from Silver to **Gold**." in text, text
    assert "For Platinum you would still miss:" in text
    assert (cards[0]["tier"], cards[0]["next_tier"], cards[0]["what_if"]) == (
        "Gold",
        "Platinum",
        True,
    )


def test_the_nlu_entity_is_used_when_the_text_names_nothing(executor: ActionExecutor) -> None:
    entities = [{"entity": "competency", "value": "C-MAINFRAME"}]
    text, _ = ask(executor, "what if we got that one too?", entities=entities)
    assert text.startswith("If you earned Mainframe Modernization, you would have 4 competencies")


def test_what_cannot_be_computed_gets_what_can_be_and_no_card(executor: ActionExecutor) -> None:
    text, cards = ask(executor, "what if we did better?")
    assert text.startswith(
        "I can work out what-ifs about competencies, certified people, satisfaction score and "
        "revenue; for example:"
    )
    assert cards == []


def test_people_without_a_competency_are_asked_where(executor: ActionExecutor) -> None:
    text, cards = ask(executor, "what happens if we add two certified people?")
    assert text.startswith("Certified people count toward one competency: which one"), text
    assert cards == []


def test_the_stored_record_is_unchanged(executor: ActionExecutor, store: Store) -> None:
    def stored() -> tuple[Any, str]:
        with Session(store.engine) as session:
            partner = session.get(Partner, "P-0001")
            assert partner is not None
            return load_snapshot(session, "P-0001", TODAY), partner.tier

    before = stored()
    for text in [
        "what if we lost client satisfaction and earned Security, Data and Cloud?",
        "what if five more people certify in DevOps and revenue doubled?",
        "what if our score was 9.9?",
    ]:
        ask(executor, text)
    assert stored() == before


def test_an_anonymous_visitor_is_asked_to_sign_in(executor: ActionExecutor) -> None:
    text, cards = ask(executor, "what if our satisfaction score rose to 8.6?", signed_in_as=None)
    assert "sign in" in text and "7.6" not in text and "Silver" not in text
    assert cards == []


def test_slack_shows_a_what_if_card_as_a_what_if(executor: ActionExecutor) -> None:
    _, cards = ask(
        executor, "what if we earned Security and our score rose to 8.2 and revenue hit 450k"
    )
    # Rendered by the Slack channel in the Rasa environment (tests/rasa_side/slack_blocks.py).
    blocks = run_rasa_module("tests.rasa_side.slack_blocks", json.dumps(cards[0]))
    assert blocks[0]["text"]["text"].startswith("*With this what-if: Gold*")
