"""Rasa's REST channel for the internal network: no claimed channel, no metadata, no silent failure.

Referenced in credentials.yml as ``rasa_addons.channels.rest_channel.InternalRestInput``; served
where Rasa serves its own REST channel, ``POST /webhooks/rest/webhook`` with
``{"sender": ..., "message": ..., "message_id": ...}`` (the id optional: the app
gives each web turn one, which Rasa's UserUttered keeps). The app's web chat and
scripts on the internal network use it; it is never exposed to the internet
(docs/security.md). Compared with Rasa's ``RestInput`` it:

- records every message with the input channel ``rest``: Rasa's channel takes the
  ``input_channel`` a client names, so a client could pass as the Slack connector,
  whose messages carry a Slack user id the actions trust;
- keeps no client metadata: nothing a client sends beside the text is trusted, and a
  credential sent there would otherwise be stored in the tracker and published to the
  event broker;
- answers 503 with a reason when the message could not be processed (tracker store,
  lock store or model failing), where Rasa's channel answers 200 with whatever was
  collected, often nothing, so the caller cannot tell a failure from an empty answer;
- tells chosen silence from an answer that went missing: while a person of the
  program office holds the conversation, the handoff policy
  (``rasa_addons/components/handoff_policy.py``) answers the turn with ``action_listen``; the
  empty answer then carries the header ``X-Assistant-Silent: handoff``, proven from
  the tracker (the turn's message, then ``action_listen`` by that policy), never
  assumed. Any other empty answer comes without it.
"""

from __future__ import annotations

import logging
import re
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

CHANNEL_NAME = "rest"
MESSAGE_LIMIT = 10_000
SENDER_LIMIT = 200
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
SILENCE_HEADER = "X-Assistant-Silent"
HANDOFF_POLICY = "HandoffPolicy"
# Runs after every user message, before any policy predicts.
EXTRACT_SLOTS = "action_extract_slots"


class InternalRestInput(InputChannel):
    """``POST /webhooks/rest/webhook``: one message in, the assistant's replies out."""

    @classmethod
    def name(cls) -> str:
        """Serve at /webhooks/rest/, Rasa's REST address."""
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the channel; it takes no options."""
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Serve ``GET /webhooks/rest/`` (status) and ``POST /webhooks/rest/webhook``."""
        rest_webhook = Blueprint("internal_rest_webhook", __name__)

        @rest_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # Sanic raises its own error type for bad JSON
                body = None
            if not isinstance(body, dict):
                return _refuse("the body must be a JSON object with 'sender' and 'message'")
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not 0 < len(sender) <= SENDER_LIMIT:
                return _refuse(f"'sender' must be a string of 1 to {SENDER_LIMIT} characters")
            if not isinstance(text, str) or len(text) > MESSAGE_LIMIT:
                return _refuse(f"'message' must be a string of at most {MESSAGE_LIMIT} characters")
            message_id = body.get("message_id")
            if message_id is not None and (
                not isinstance(message_id, str) or not MESSAGE_ID.match(message_id)
            ):
                return _refuse("'message_id' must be 1 to 64 letters, digits or _.:-")
            collector = CollectingOutputChannel()
            message = UserMessage(
                text, collector, sender, input_channel=CHANNEL_NAME, message_id=message_id
            )
            try:
                await on_new_message(message)
            except (CancelledError, Exception) as error:
                logger.exception("REST message of %s could not be processed", sender)
                return response.json(
                    {"error": "the message could not be processed", "reason": type(error).__name__},
                    status=HTTPStatus.SERVICE_UNAVAILABLE,
                )
            headers = {}
            if not collector.messages and await _silenced_by_handoff(request, message):
                headers[SILENCE_HEADER] = "handoff"
            return response.json(collector.messages, headers=headers)

        return rest_webhook


async def _silenced_by_handoff(request: Request, message: UserMessage) -> bool:
    """Whether the handoff policy chose silence for ``message`` (read from the tracker)."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return False
    try:
        tracker = await agent.tracker_store.retrieve(message.sender_id)
    except Exception:  # the store failing now: no proof of chosen silence
        logger.exception("tracker of %s not read after an empty answer", message.sender_id)
        return False
    if tracker is None:
        return False
    return chosen_silence([event.as_dict() for event in tracker.events], message.message_id)


def chosen_silence(events: list[dict[str, Any]], message_id: str) -> bool:
    """Whether the turn of ``message_id`` ended in ``action_listen`` by the handoff policy."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "user" and event.get("message_id") == message_id:
            for later in events[index + 1 :]:
                if later.get("event") == "bot":
                    return False
                if later.get("event") == "action" and later.get("name") != EXTRACT_SLOTS:
                    return later.get("name") == "action_listen" and str(
                        later.get("policy") or ""
                    ).endswith(HANDOFF_POLICY)
            return False
    return False


def _refuse(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=HTTPStatus.BAD_REQUEST)
