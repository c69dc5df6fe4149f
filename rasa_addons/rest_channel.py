"""Rasa's REST channel for the internal network: no claimed channel, no metadata, no silence.

Referenced in credentials.yml as ``rasa_addons.rest_channel.InternalRestInput``; served
where Rasa serves its own REST channel, ``POST /webhooks/rest/webhook`` with
``{"sender": ..., "message": ...}``. The app's web chat and scripts on the internal
network use it; it is never exposed to the internet (docs/security.md). Compared with
Rasa's ``RestInput`` it:

- records every message with the input channel ``rest``: Rasa's channel takes the
  ``input_channel`` a client names, so a client could pass as the Slack connector,
  whose messages carry a Slack user id the actions trust;
- keeps no client metadata: nothing a client sends beside the text is trusted, and a
  credential sent there would otherwise be stored in the tracker and published to the
  event broker;
- answers 503 with a reason when the message could not be processed (tracker store,
  lock store or model failing), where Rasa's channel answers 200 with whatever was
  collected, often nothing, so the caller cannot tell a failure from an empty answer.
"""

from __future__ import annotations

import logging
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
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender, input_channel=CHANNEL_NAME)
            try:
                await on_new_message(message)
            except (CancelledError, Exception) as error:
                logger.exception("REST message of %s could not be processed", sender)
                return response.json(
                    {"error": "the message could not be processed", "reason": type(error).__name__},
                    status=HTTPStatus.SERVICE_UNAVAILABLE,
                )
            return response.json(collector.messages)

        return rest_webhook


def _refuse(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=HTTPStatus.BAD_REQUEST)
