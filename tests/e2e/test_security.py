"""Attacks from the security review, replayed against the running stack (`make run`).

Each test is an attack that worked before the hardening: it must keep failing.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import httpx
import pytest

from scripts.launch import SECRETS_FILE
from tests.conftest import Stack

pytestmark = pytest.mark.e2e


def test_an_anonymous_caller_cannot_read_a_conversation_through_a_handoff_ticket(
    stack: Stack,
) -> None:
    # The victim chats on the web without signing in and asks for a person.
    victim = stack.chat("our renewal with ACME is worth 1.2M, which tier does that give us?")
    stack.chat("/request_human", session=victim.session)
    victim_id = victim.session.rpartition(".")[0]
    # The attacker names the victim's conversation to Rasa and then to the ticket API.
    stack.say(victim_id, "/request_human")
    attack = {"sender_id": victim_id, "channel": "rest"}
    stolen = httpx.post(f"{stack.app_url}/v1/handoff/tickets", json=attack)
    assert stolen.status_code == 401
    assert "ACME" not in stolen.text
    # Signed in as some partner, the attacker only ever gets a ticket of its own.
    token = stack.sign_in("P-0003")
    own = httpx.post(
        f"{stack.app_url}/v1/handoff/tickets",
        json=attack,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert own.status_code == 201 and own.json()["partner_id"] == "P-0003"
    assert "ACME" not in own.text


def test_writing_into_a_web_conversation_needs_its_session_handle(stack: Stack) -> None:
    mine = stack.chat("what is a competency?", token=stack.sign_in("P-0001"))
    conversation = mine.session.rpartition(".")[0]
    # Its conversation id alone (as stored in the tracker) opens nothing in the app.
    for session in (conversation, f"{conversation}.forged-mac-forged-mac-forged-mac00"):
        response = httpx.post(
            f"{stack.app_url}/v1/chat", json={"session": session, "message": "what's my tier?"}
        )
        assert response.status_code == 403, response.text
        history = httpx.get(f"{stack.app_url}/v1/chat/history", params={"session": session})
        assert history.status_code == 403


def _stored_events(stack: Stack) -> str:
    # tests/conftest.py gives the stack its own PA_VAR_DIR, the launch log's folder.
    with sqlite3.connect(stack.log.parent / "rasa-trackers.db") as db:
        rows = db.execute("SELECT data FROM events").fetchall()
    return "\n".join(str(row[0]) for row in rows)


def _generated_secrets() -> dict[str, str]:
    lines = SECRETS_FILE.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def _command_lines() -> list[bytes]:
    lines = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            lines.append(path.read_bytes())
        except OSError:  # the process has just exited
            continue
    return lines


def test_no_credential_is_stored_with_a_signed_in_web_conversation(stack: Stack) -> None:
    token = stack.sign_in("P-0001")
    marker = f"credential-scan-{uuid.uuid4().hex[:8]}"
    turn = stack.chat(f"what does the Security competency require? {marker}", token=token)
    stack.chat("what's my tier?", token=token, session=turn.session)
    stack.chat("recommend courses", token=token, session=turn.session)
    stored = _stored_events(stack)
    assert marker in stored  # the conversation is there ...
    for name, value in [("access token", token), *_generated_secrets().items()]:
        assert value not in stored, f"{name} stored in the tracker store"  # ... no credential
    assert "eyJ" not in stored  # nor any other JWT


def test_no_process_shows_rasas_api_token_on_its_command_line(stack: Stack) -> None:
    token = _generated_secrets()["PA_RASA_TOKEN"]
    # The app reads histories with it, so it is in use ...
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/anyone/tracker", params={"token": token}, timeout=30
    )
    assert tracker.status_code == 200
    # ... and no command line on this machine (what `ps` shows every user) holds it.
    command_lines = _command_lines()
    assert any(b"rasa_addons.server" in line for line in command_lines)
    assert not [line for line in command_lines if token.encode() in line]
