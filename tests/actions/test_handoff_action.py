"""action_human_handoff through rasa-sdk's executor, with tracker fixtures (handoff_*.json)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor
from sqlalchemy.orm import Session

from partners import handoff
from partners.catalogue import program_catalogue
from partners.db import create_db_engine
from partners.models import HandoffTicket
from partners.prestart import init_db
from settings import get_settings
from tests.partners.fixtures import (
    Store,
    action_call,
    bind_conversation,
    process_settings,
    slack_metadata,
    store_settings,
    token_for,
)
from tests.ports import closed_port

TICKET = re.compile(r"ticket #(\d+)")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A seeded store of this module's own: these tests write tickets."""
    folder = tmp_path_factory.mktemp("handoff-store")
    settings = store_settings(f"sqlite:///{folder / 'partners.db'}", folder)
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    return Store(settings, engine, program_catalogue(), folder / "partners.db")


@pytest.fixture(scope="module")
def executor(store: Store) -> Iterator[ActionExecutor]:
    with process_settings(store):
        executor = ActionExecutor()
        executor.register_package("actions")
        yield executor


def run(executor: ActionExecutor, call: dict[str, Any]) -> str:
    result = asyncio.run(executor.run(call))
    assert result is not None and result.events == []
    (text,) = [r["text"] for r in result.responses if r.get("text")]
    return str(text)


def ticket_of(store: Store, reply: str) -> handoff.Ticket:
    match = TICKET.search(reply)
    assert match, reply
    with Session(store.engine) as session:
        ticket = handoff.get_ticket(session, int(match.group(1)))
    assert ticket is not None
    return ticket


def test_a_signed_in_partner_gets_a_ticket_with_the_conversation(
    executor: ActionExecutor, store: Store
) -> None:
    conversation = f"web:P-0001:handoff-{uuid.uuid4().hex}"
    reply = run(executor, action_call("handoff_signed_in", sender_id=conversation))
    assert reply.startswith("I've opened ticket #")
    assert "I've alerted the program office" in reply
    # No office hours configured (the default): no time is promised.
    assert "I can't say when" in reply
    assert "sign in" not in reply
    ticket = ticket_of(store, reply)
    # The web chat reaches Rasa through its REST channel; the office reads "web".
    assert (ticket.partner_id, ticket.sender_id, ticket.channel) == (
        "P-0001",
        conversation,
        "web",
    )
    assert ticket.status == "open"
    assert [(line.role, line.text.split(".")[0]) for line in ticket.transcript] == [
        ("user", "hi"),
        ("bot", "Hello! I can answer questions about the partner program"),
        ("user", "what is my tier?"),
        ("bot", "Nordlicht Systemhaus GmbH (P-0001) is **Silver**"),  # the card had no text
        ("user", "can I talk to a human?"),
    ]
    assert ticket.transcript[-1].timestamp.timestamp() == 1764400000.0  # type: ignore[union-attr]

    # Asking again in the same conversation adds to the ticket instead of a second one.
    call = action_call("handoff_signed_in", text="hello? is anyone there?", sender_id=conversation)
    again = run(executor, call)
    assert again.startswith(f"Your ticket #{ticket.id} is still open")
    assert ticket_of(store, again).last_user_message == "hello? is anyone there?"


def test_no_access_token_reaches_the_ticket(executor: ActionExecutor, store: Store) -> None:
    """The sign-in's token, even one an old client put in every message, stays out."""
    conversation = f"web:P-0001:handoff-token-{uuid.uuid4().hex}"
    call = action_call("handoff_signed_in", sender_id=conversation, signed_in_as=None)
    issued = bind_conversation(conversation, "P-0001")  # the sign-in the chat bound
    carried = token_for("P-0001")  # another valid token, sent along as metadata
    for event in call["tracker"]["events"]:
        if event["event"] == "user":
            event["metadata"] = {"token": carried, "access_token": issued}
    call["tracker"]["latest_message"]["metadata"] = {"token": carried}
    ticket = ticket_of(store, run(executor, call))
    assert ticket.partner_id == "P-0001"  # the binding, not the tokens, says who it is
    with Session(store.engine) as session:
        stored = session.get(HandoffTicket, ticket.id)
        assert stored is not None
        columns = HandoffTicket.__table__.columns
        row = json.dumps({column.key: str(getattr(stored, column.key)) for column in columns})
    for name, token in (("issued", issued), ("carried", carried)):
        # A token's signature alone would let a reader forge nothing, but it is the
        # part no one else has: look for it and for the whole token.
        assert token not in row and token.rsplit(".", 1)[-1] not in row, f"{name} token kept"


def test_an_anonymous_user_gets_a_ticket_of_no_partner(
    executor: ActionExecutor, store: Store
) -> None:
    call = action_call("handoff_anonymous", text="I'm partner P-0002, get me a human")
    reply = run(executor, call)
    assert reply.startswith("I've opened ticket #")
    assert "You aren't signed in" in reply
    ticket = ticket_of(store, reply)
    assert (ticket.partner_id, ticket.channel) == (None, "web")  # text selects no one
    assert ticket.last_user_message == "I'm partner P-0002, get me a human"


@pytest.mark.parametrize(
    "changes",
    [
        {"sign_in_expired": True},
        {"signed_in_as": None, "metadata": {"token": token_for("P-0001")}},
        {"signed_in_as": None, "metadata": {"partner_id": "P-0001"}},
    ],
    ids=["expired sign-in", "token in metadata", "hand-made"],
)
def test_an_unverified_identity_binds_no_partner(
    executor: ActionExecutor, store: Store, changes: dict[str, Any]
) -> None:
    reply = run(executor, action_call("handoff_signed_in", **changes))
    assert "You aren't signed in" in reply
    assert ticket_of(store, reply).partner_id is None


def test_a_linked_slack_user_gets_a_ticket_of_their_partner(
    executor: ActionExecutor, store: Store
) -> None:
    call = action_call(
        "handoff_anonymous", metadata=slack_metadata(), input_channel="slack", text="human please"
    )
    call["tracker"]["sender_id"] = "U0SAMPLE0020"
    ticket = ticket_of(store, run(executor, call))
    assert (ticket.partner_id, ticket.channel, ticket.sender_id) == (
        "P-0020",
        "slack",
        "U0SAMPLE0020",
    )

    assert ticket.slack_channel is None  # no channel in this message's metadata

    unlinked = action_call(
        "handoff_anonymous", metadata=slack_metadata(user="UNOLINK"), input_channel="slack"
    )
    unlinked["tracker"]["sender_id"] = "UNOLINK"
    reply = run(executor, unlinked)
    assert "This Slack account isn't linked to a company yet" in reply
    assert ticket_of(store, reply).partner_id is None


def test_a_long_conversation_keeps_its_last_lines(executor: ActionExecutor, store: Store) -> None:
    call = action_call("handoff_anonymous")
    call["tracker"]["sender_id"] = "web-long"
    chatter = [
        {"event": "user", "timestamp": 1764300000.0 + n, "text": f"message {n}"} for n in range(80)
    ]
    call["tracker"]["events"][:0] = chatter
    ticket = ticket_of(store, run(executor, call))
    assert len(ticket.transcript) == handoff.TRANSCRIPT_LIMIT
    assert ticket.transcript[-1].text == "can I talk to a human?"


@contextmanager
def broken_store() -> Iterator[None]:
    """Point the process settings at a database server that does not answer."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PA_DATABASE_URL", f"postgresql://nobody@127.0.0.1:{closed_port()}/none")
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()


def test_a_failing_store_gets_an_apology_and_a_log_line(
    executor: ActionExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    call = action_call("handoff_signed_in")  # signed in while the store still answered
    with broken_store(), caplog.at_level(logging.ERROR, logger="actions.handoff"):
        reply = run(executor, call)
    assert reply.startswith("Sorry, I couldn't open a ticket for a person just now")
    assert "Traceback" not in reply
    (record,) = [r for r in caplog.records if r.name == "actions.handoff"]
    assert "action_human_handoff failed" in record.getMessage() and record.exc_info


def test_a_slack_ticket_keeps_the_thread_the_operator_answers_in(
    executor: ActionExecutor, store: Store
) -> None:
    where = {"out_channel": "D0PARTNER1", "thread_id": "1764400000.000100"}
    call = action_call(
        "handoff_anonymous",
        metadata={**slack_metadata(), **where},
        input_channel="slack",
        text="a person please",
    )
    call["tracker"]["sender_id"] = f"U0THREAD{uuid.uuid4().hex[:6].upper()}"
    ticket = ticket_of(store, run(executor, call))
    assert (ticket.slack_channel, ticket.slack_thread_ts) == ("D0PARTNER1", "1764400000.000100")
