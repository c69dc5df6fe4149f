"""What is checked after the chatting: each conversation's history and the broker's queue."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from scripts.fault_suite.plan import Conversation


def _history_turns(messages: list[dict[str, Any]]) -> list[tuple[str, list[str | None]]]:
    turns: list[tuple[str, list[str | None]]] = []
    for message in messages:
        if message.get("role") == "user":
            turns.append((message.get("text") or "", []))
        elif turns:
            turns[-1][1].append(message.get("text"))
    return turns


def _joined(texts: list[str | None]) -> str:
    # Rasa stores a reply as one message and sends each paragraph of it as one.
    return "\n\n".join(text for text in texts if text)


def history_problem(conversation: Conversation, messages: list[dict[str, Any]]) -> str | None:
    """Why the history misses an answered turn or has them out of order; None if intact.

    Turns the user was told to retry may or may not be in the history (the message may
    have been processed before the failure); answered ones must all be there, in order,
    each with the answer the user saw.
    """
    stored = iter(_history_turns(messages))
    for turn in conversation.turns:
        if turn.outcome != "answered":
            continue
        answer = _joined(turn.bot_texts)
        if not any(text == turn.text and _joined(texts) == answer for text, texts in stored):
            return f"{conversation.sender_id}: answered turn {turn.text!r} missing or out of order"
    return None


def broker_missing(conversations: list[Conversation], events: list[dict[str, Any]]) -> int:
    """Count answered turns whose user message never reached the RabbitMQ queue.

    Each Rasa process sends its events in order, but a conversation that moved between
    servers during an outage has its events in the queue in the order the two servers'
    buffers were sent (consumers order by the events' timestamps), so only presence is
    checked here.
    """
    said: Counter[tuple[str, str]] = Counter(
        (str(event.get("sender_id")), str(event.get("text")))
        for event in events
        if event.get("event") == "user"
    )
    missing = 0
    for conversation in conversations:
        for turn in conversation.turns:
            if turn.outcome == "answered":
                key = (conversation.sender_id, turn.text)
                if said[key] > 0:
                    said[key] -= 1
                else:
                    missing += 1
    return missing


async def check_histories(app_url: str, conversations: list[Conversation]) -> list[str]:
    """Fetch each conversation's history into it; return what is wrong with each, if any."""
    problems = []
    async with httpx.AsyncClient(base_url=app_url, timeout=60) as client:
        for conversation in conversations:
            headers = (
                {"Authorization": f"Bearer {conversation.token}"} if conversation.token else {}
            )
            response = await client.get(
                "/v1/chat/history", params={"session": conversation.handle}, headers=headers
            )
            if response.status_code != 200:
                problems.append(f"{conversation.sender_id}: history HTTP {response.status_code}")
                continue
            conversation.history = response.json()["messages"]
            problem = history_problem(conversation, conversation.history)
            if problem:
                problems.append(problem)
    return problems
