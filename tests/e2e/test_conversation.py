"""A partner talks to the running assistant over Rasa's REST channel."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import Stack

pytestmark = pytest.mark.e2e

# The domain's canned replies (each has one text): what small talk must get.
RESPONSES = {
    name: variants[0]["text"]
    for name, variants in yaml.safe_load((Path(__file__).parents[2] / "domain.yml").read_text())[
        "responses"
    ].items()
}
BRIEF_FACTS = yaml.safe_load(
    (Path(__file__).parents[1] / "knowledge" / "brief_facts.yaml").read_text()
)


def _sender(prefix: str) -> str:
    # Conversations persist in var/rasa-trackers.db: a fresh id per test run.
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def test_both_processes_answer(stack: Stack) -> None:
    assert httpx.get(f"{stack.app_url}/health").json() == {"status": "ok"}
    assert "Rasa" in httpx.get(f"{stack.rasa_url}/").text


def test_a_program_question_is_answered_from_the_index_with_its_source(stack: Stack) -> None:
    text = _texts(stack.say(_sender("program"), "what does the Security competency require?"))
    assert "Security" in text
    assert "C-SECURITY" in text, f"no citation of the competency in: {text}"


@pytest.mark.parametrize(
    "fact", BRIEF_FACTS, ids=[f"fact{f['fact']}-{f['expected'][0]}" for f in BRIEF_FACTS]
)
def test_every_fact_of_the_brief_is_answered_in_conversation(stack: Stack, fact: dict) -> None:
    text = _texts(stack.say(_sender("brief"), fact["question"])).lower()
    for phrase in fact["key_phrases"]:
        assert phrase in text, f"{fact['question']!r} -> {text!r} lacks {phrase!r}"


def test_a_follow_up_is_about_the_course_just_discussed(stack: Stack) -> None:
    sender = _sender("followup")
    first = _texts(stack.say(sender, "tell me about course U-SEC-101"))
    assert "U-SEC-101" in first, first
    follow_up = _texts(stack.say(sender, "how long is it?"))
    # knowledge/data/courses.yaml: U-SEC-101 is 1.5 hours, self-paced.
    assert "U-SEC-101" in follow_up and "1.5 hours" in follow_up, follow_up


def test_an_unknown_competency_gets_i_dont_know_and_suggestions(stack: Stack) -> None:
    text = _texts(stack.say(_sender("unknown"), "what does the Quantum Baking competency require?"))
    assert "don't know" in text.lower(), text
    assert "did you mean" in text.lower(), text


def test_small_talk_gets_sensible_replies(stack: Stack) -> None:
    sender = _sender("smalltalk")
    replies = {
        "hello": "utter_greet",
        "thanks a lot": "utter_you_are_welcome",
        "bye": "utter_goodbye",
    }
    for text, response in replies.items():
        assert _texts(stack.say(sender, text)) == RESPONSES[response], text


def test_out_of_scope_is_declined_politely(stack: Stack) -> None:
    text = _texts(
        stack.say(_sender("oos"), "can you book me a table for two at an italian restaurant")
    )
    assert "program" in text.lower(), text


def test_a_signed_in_partner_gets_its_tier_and_gap_in_the_web_chat(stack: Stack) -> None:
    turn = stack.chat("what's my tier?", token=stack.sign_in("P-0001"))
    assert "Silver" in turn.text, turn.text  # P-0001 is a Silver partner in Germany (sample)
    assert "Gold" in turn.text and "days" in turn.text, turn.text
    assert any((m.get("custom") or {}).get("type") == "tier_progress" for m in turn.messages)


def test_a_visitor_gets_program_answers_but_no_partner_data(stack: Stack) -> None:
    turn = stack.chat("what does the Security competency require?")
    assert "C-SECURITY" in turn.text, turn.text
    tier = stack.chat("what's my tier?", session=turn.session)
    assert "sign in" in tier.text.lower(), tier.text


def test_without_a_verified_identity_no_partner_data_is_shown(stack: Stack) -> None:
    # What a client of the internal REST channel might add: none of it identifies anyone,
    # not even a valid token (Rasa never takes credentials), nor a claimed Slack channel.
    token = stack.sign_in("P-0001")
    for extra in (
        {},
        {"metadata": {"token": token}},
        {"metadata": {"partner_id": "P-0001"}},
        {"input_channel": "slack", "metadata": {"slack_user_id": "U0SAMPLE0020"}},
    ):
        for sender in (_sender("anon"), "U0SAMPLE0020"):  # P-0020's linked Slack user
            text = _texts(stack.say(sender, "what's my tier?", **extra))
            assert "sign in" in text.lower(), (extra, text)
            assert "Silver" not in text and "P-0001" not in text and "P-0020" not in text


def test_a_request_for_a_human_opens_a_ticket_operators_can_read(stack: Stack) -> None:
    sender = _sender("handoff")
    stack.say(sender, "what does the Security competency require?")
    text = _texts(stack.say(sender, "can I talk to a real person please"))
    assert "ticket #" in text.lower(), text
    operator = stack.operator_token
    tickets = httpx.get(
        f"{stack.app_url}/v1/handoff/tickets", headers={"Authorization": f"Bearer {operator}"}
    ).json()["items"]
    ticket = next(item for item in tickets if item["sender_id"] == sender)
    full = httpx.get(
        f"{stack.app_url}/v1/handoff/tickets/{ticket['id']}",
        headers={"Authorization": f"Bearer {operator}"},
    ).json()
    assert any("Security competency" in line["text"] for line in full["transcript"])
