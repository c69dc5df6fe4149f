"""A partner talks to the running assistant over Rasa's REST channel."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def _texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def test_both_processes_answer(stack: Stack) -> None:
    assert httpx.get(f"{stack.app_url}/health").json() == {"status": "ok"}
    assert "Rasa" in httpx.get(f"{stack.rasa_url}/").text


def test_a_program_question_is_answered_from_the_index_with_its_source(stack: Stack) -> None:
    replies = stack.say("e2e-program", "what does the Security competency require?")
    text = _texts(replies)
    assert "Security" in text
    assert "C-SECURITY" in text, f"no citation of the competency in: {text}"


def test_small_talk_gets_sensible_replies(stack: Stack) -> None:
    greeting = _texts(stack.say("e2e-smalltalk", "hello"))
    thanks = _texts(stack.say("e2e-smalltalk", "thanks a lot"))
    goodbye = _texts(stack.say("e2e-smalltalk", "bye"))
    assert greeting and thanks and goodbye
    assert len({greeting, thanks, goodbye}) == 3, "each gets its own reply"


def test_out_of_scope_is_declined_politely(stack: Stack) -> None:
    text = _texts(stack.say("e2e-oos", "can you book me a table for two at an italian restaurant"))
    assert "program" in text.lower(), text
