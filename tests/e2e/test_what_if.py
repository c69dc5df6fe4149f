"""What-if questions in the web chat of the running stack: one turn per kind.

The signed-in partner is the sample partner P-0001 (Silver in Germany, 3
competencies, score 7.6, 420,000 EUR; Gold needs 4, 8.0 and 450,000 EUR). Every
answer comes from the tier engine on a copy of the record, ends with the
transition deadline and says the record is unchanged.
"""

from __future__ import annotations

import pytest

from tests.conftest import Stack

pytestmark = pytest.mark.e2e

DEADLINE = "The transition window ends on 1 February 2027"
UNCHANGED = "This is only a what-if: your partner record is unchanged."


def ask(stack: Stack, text: str) -> tuple[str, list[dict]]:
    turn = stack.chat(text, token=stack.sign_in("P-0001"))
    cards = [m["custom"] for m in turn.messages if (m.get("custom") or {}).get("what_if")]
    return turn.text, cards


def test_competencies_by_name_and_by_area(stack: Stack) -> None:
    text, cards = ask(stack, "What if we earned Security and Data?")
    assert "If you earned Security Operations and " in text, text
    assert "(of the Data and analytics competencies, the one you are closest to)" in text
    assert "you would have 5 competencies and still be **Silver**." in text
    assert DEADLINE in text and UNCHANGED in text
    assert [card["tier"] for card in cards] == ["Silver"]


def test_certified_people(stack: Stack) -> None:
    text, _ = ask(stack, "what if two more people certify in Cloud?")
    assert "If 2 more of your people certified in " in text, text
    assert "(of the Cloud competencies, the one you are closest to)" in text
    assert "certified people it needs" in text and DEADLINE in text


def test_satisfaction_score(stack: Stack) -> None:
    text, _ = ask(stack, "what if our satisfaction score rose to 8.6?")
    assert "If your client satisfaction score was 8.6 (it is 7.6)" in text, text
    assert "Revenue last year: 420,000 EUR of 450,000 EUR needed" in text


def test_revenue(stack: Stack) -> None:
    text, _ = ask(stack, "what if revenue in Germany reached 600,000?")
    assert "If your revenue last year was 600,000 EUR (it is 420,000 EUR)" in text, text
    assert "Client satisfaction score: 7.6 of 8.0 needed" in text


def test_a_combination_in_one_question(stack: Stack) -> None:
    text, cards = ask(
        stack, "what if we earned Security and our score rose to 8.2 and revenue hit 450k?"
    )
    assert "you would have 4 competencies and move up from Silver to **Gold**." in text, text
    assert "For Platinum you would still miss:" in text
    assert [card["tier"] for card in cards] == ["Gold"]


def test_a_question_it_cannot_compute_says_what_it_can(stack: Stack) -> None:
    text, cards = ask(stack, "what if we did better?")
    assert text.startswith("I can work out what-ifs about competencies, certified people"), text
    assert cards == []


def test_an_anonymous_visitor_is_asked_to_sign_in(stack: Stack) -> None:
    turn = stack.chat("what if our satisfaction score rose to 8.6?")
    assert "sign in" in turn.text.lower(), turn.text
    assert "7.6" not in turn.text and "Silver" not in turn.text
    assert not [m for m in turn.messages if m.get("custom")]
