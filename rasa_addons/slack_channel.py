"""Slack input channel: Rasa's SlackInput, hardened and configured from the environment.

Referenced in credentials.yml as ``rasa_addons.slack_channel.SlackChannel``; served at
``/webhooks/slack/webhook`` (Events API request URL and interactivity URL). Compared
with Rasa's own connector it:

- reads ``SLACK_TOKEN``, ``SLACK_SIGNING_SECRET`` and ``SLACK_API_BASE_URL`` from the
  environment (secrets stay out of credentials.yml); without token and secret it
  starts *disabled* and answers 503, so ``make run`` works without a Slack app;
- refuses unsigned or wrongly signed requests with 401 before looking at the body;
- answers ``url_verification`` with ``{"challenge": ...}``;
- acknowledges Slack's retries (``X-Slack-Retry-Num``) and repeated event ids with
  200 without processing them again, so each message is answered once;
- adds a signed Slack assertion to the message metadata (``slack_user_id``,
  ``slack_team_id``, ``slack_ts``, ``slack_sig``; see ``partners/identity.py``), so
  actions can trust the Slack user id: Rasa's REST channel lets any client claim
  the ``slack`` input channel, the assertion it cannot forge;
- replies in threads and renders markdown, buttons (Slack blocks) and the
  tier-progress card the Slack way.

Runs in the Rasa server's Python 3.10 environment: Rasa, Sanic and slack_sdk only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://slack.com/api/"
# Slack allows 25 elements per actions block and 75 characters per button label.
MAX_BUTTONS = 25
MAX_BUTTON_LABEL = 75
# Retries carry the same event id; remember enough ids to cover Slack's retry window.
SEEN_EVENTS = 2000
BAR_WIDTH = 10


def slack_assertion(secret: str, user_id: str, team_id: str | None, timestamp: int) -> str:
    """Sign a Slack identity the way ``partners.identity.slack_assertion`` checks it."""
    message = f"slack|{team_id or ''}|{user_id}|{timestamp}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _public_url() -> str:
    url = os.environ.get("PA_PUBLIC_URL") or f"http://127.0.0.1:{os.environ.get('PA_PORT', '8000')}"
    return url.rstrip("/")


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(text: str) -> str:
    """Turn the assistant's markdown into Slack's mrkdwn.

    ``**bold**`` becomes ``*bold*``, ``*italic*`` becomes ``_italic_``, ``[label](url)``
    becomes ``<url|label>`` (paths of the web page made absolute), list dashes become
    bullets and ``#`` headings bold lines.
    """
    held: list[str] = []

    def hold(value: str) -> str:
        held.append(value)
        return f"\x00{len(held) - 1}\x00"

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1), match.group(2)
        if url.startswith("/") and not url.startswith("//"):
            url = _public_url() + url
        if not re.match(r"^(https?://|mailto:)", url):
            return label
        return hold(f"<{url}|{label}>")

    text = _slack_escape(text)
    text = re.sub(r"`([^`]+)`", lambda m: hold(m.group(0)), text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", link, text)
    text = re.sub(r"\*\*(\S(?:.*?\S)?)\*\*", lambda m: hold(f"*{m.group(1)}*"), text)
    text = re.sub(r"(^|[^*\w])\*(\S(?:[^*]*?\S)?)\*(?![*\w])", r"\1_\2_", text)
    text = re.sub(r"(?m)^(\s*)[-*]\s+", "\\1• ", text)
    text = re.sub(r"(?m)^#{1,6}\s+(.*)$", lambda m: f"*{m.group(1)}*", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: held[int(m.group(1))], text)


def _number(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.1f}"


def tier_progress_blocks(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Render the ``tier_progress`` card as Slack blocks, with text progress bars."""
    next_tier = card.get("next_tier")
    heading = f"*Your tier: {_slack_escape(str(card.get('tier', 'unknown')))}*"
    heading += f" · progress toward {_slack_escape(str(next_tier))}" if next_tier else ""
    lines = []
    for item in card.get("items") or []:
        have, need = float(item.get("have") or 0), float(item.get("need") or 0)
        filled = BAR_WIDTH if need <= 0 else min(BAR_WIDTH, round(BAR_WIDTH * have / need))
        bar = "▰" * filled + "▱" * (BAR_WIDTH - filled)
        unit = f" {item['unit']}" if item.get("unit") else ""
        met = item.get("met")
        done = " ✓" if (met if isinstance(met, bool) else need <= 0 or have >= need) else ""
        label = _slack_escape(str(item.get("label", "")))
        lines.append(f"`{bar}` {label}: {_number(have)} / {_number(need)}{unit}{done}")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": heading}},
    ]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    if card.get("days_left") is not None:
        days = f"{_number(card['days_left'])} days left in the transition window."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": days}]})
    return blocks


def _event_metadata(body: dict[str, Any]) -> dict[str, Any]:
    """Where to answer an Events API message: its channel, its thread, the bot's users."""
    event = body.get("event") or {}
    users = list(body.get("authed_users") or [])
    if not users and body.get("authorizations"):
        users = [body["authorizations"][0].get("user_id")]
    return {
        "out_channel": event.get("channel"),
        "thread_id": event.get("thread_ts") or event.get("ts"),
        "users": users,
    }


def _interaction_metadata(payload: dict[str, Any]) -> dict[str, Any]:
    """Where to answer a button click: the clicked message's channel and thread."""
    message = payload.get("message") or {}
    container = payload.get("container") or {}
    user = (payload.get("user") or {}).get("id")
    return {
        "out_channel": (payload.get("channel") or {}).get("id") or container.get("channel_id"),
        "thread_id": message.get("thread_ts") or message.get("ts") or container.get("message_ts"),
        "users": [user] if user else [],
    }


class SlackReplies(SlackBot):
    """Slack output channel: one message per answer, in the thread, the Slack way."""

    def __init__(
        self,
        token: str,
        slack_channel: str | None = None,
        thread_id: str | None = None,
        proxy: str | None = None,
        api_base_url: str = DEFAULT_API_BASE_URL,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = AsyncWebClient(token, base_url=api_base_url, proxy=proxy)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Post the answer as one mrkdwn message (Rasa's splits it per paragraph)."""
        await self._post_message(
            channel=self.slack_channel or recipient_id, text=to_mrkdwn(text), mrkdwn=True
        )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Post the answer with its suggestions as Slack buttons."""
        elements = [
            {
                "type": "button",
                "action_id": f"suggestion_{index}",
                "text": {"type": "plain_text", "text": str(button["title"])[:MAX_BUTTON_LABEL]},
                "value": str(button.get("payload") or button["title"]),
            }
            for index, button in enumerate(buttons[:MAX_BUTTONS])
            if button.get("title")
        ]
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": to_mrkdwn(text) or " "}}
        ]
        if elements:
            blocks.append({"type": "actions", "elements": elements})
        await self._post_message(
            channel=self.slack_channel or recipient_id, text=to_mrkdwn(text), blocks=blocks
        )

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """Post the tier-progress card as blocks; other payloads are Slack messages."""
        if json_message.get("type") == "tier_progress":
            await self._post_message(
                channel=self.slack_channel or recipient_id,
                text=f"Your tier: {json_message.get('tier', 'unknown')}",
                blocks=tier_progress_blocks(json_message),
            )
            return
        await super().send_custom_json(recipient_id, json_message, **kwargs)


class SlackChannel(SlackInput):
    """Slack Events API and interactivity, with secrets from the environment."""

    @classmethod
    def name(cls) -> str:
        """Serve at /webhooks/slack/ and name the input channel ``slack``."""
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the channel from credentials.yml's options and the environment.

        ``SLACK_TOKEN``, ``SLACK_SIGNING_SECRET`` and ``SLACK_API_BASE_URL`` win over
        ``slack_token``, ``slack_signing_secret`` and ``api_base_url`` in the file.
        """
        credentials = credentials or {}
        return cls(
            os.environ.get("SLACK_TOKEN") or credentials.get("slack_token") or "",
            credentials.get("slack_channel"),
            credentials.get("proxy"),
            credentials.get("slack_retry_reason_header", "x-slack-retry-reason"),
            credentials.get("slack_retry_number_header", "x-slack-retry-num"),
            credentials.get("errors_ignore_retry", None),
            credentials.get("use_threads", True),
            os.environ.get("SLACK_SIGNING_SECRET") or credentials.get("slack_signing_secret") or "",
            credentials.get("conversation_granularity", "sender"),
            api_base_url=os.environ.get("SLACK_API_BASE_URL")
            or credentials.get("api_base_url")
            or DEFAULT_API_BASE_URL,
        )

    def __init__(self, *args: Any, api_base_url: str = DEFAULT_API_BASE_URL, **kwargs: Any) -> None:
        self.api_base_url = api_base_url if api_base_url.endswith("/") else api_base_url + "/"
        self._seen_events: OrderedDict[str, None] = OrderedDict()
        super().__init__(*args, **kwargs)
        self.enabled = bool(self.slack_token and self.slack_signing_secret)
        if self.enabled:
            logger.info("Slack channel enabled (Slack API at %s)", self.api_base_url)

    def _validate_credentials(self) -> None:
        # Rasa refuses to start without a signing secret. We start disabled instead,
        # so the assistant runs without a Slack app; every Slack request gets 503.
        if not (self.slack_token and self.slack_signing_secret):
            logger.warning(
                "Slack channel disabled: set SLACK_TOKEN and SLACK_SIGNING_SECRET to enable it"
            )

    def get_output_channel(
        self, channel: str | None = None, thread_id: str | None = None
    ) -> OutputChannel:
        """Reply through the configured Slack API, in the message's thread."""
        return SlackReplies(
            self.slack_token,
            channel or self.slack_channel,
            thread_id,
            self.proxy,
            self.api_base_url,
        )

    def _is_repeat(self, event_id: str | None) -> bool:
        if not event_id:
            return False
        if event_id in self._seen_events:
            return True
        self._seen_events[event_id] = None
        while len(self._seen_events) > SEEN_EVENTS:
            self._seen_events.popitem(last=False)
        return False

    def _with_assertion(
        self, metadata: dict[str, Any], user: str, team: str | None
    ) -> dict[str, Any]:
        secret = os.environ.get("PA_JWT_SECRET", "").strip()
        metadata = dict(metadata, slack_user_id=user, slack_team_id=team)
        if not secret:
            logger.error("PA_JWT_SECRET is not set: Slack users cannot be identified")
            return metadata
        timestamp = int(time.time())
        metadata["slack_ts"] = str(timestamp)
        metadata["slack_sig"] = slack_assertion(secret, user, team, timestamp)
        return metadata

    async def _event(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return response.text("The body is not JSON.", status=HTTPStatus.BAD_REQUEST)
        if not isinstance(body, dict):
            return response.text("The body is not a JSON object.", status=HTTPStatus.BAD_REQUEST)
        if body.get("type") == "url_verification":
            return response.json({"challenge": body.get("challenge", "")})
        if body.get("type") != "event_callback" or self._is_repeat(body.get("event_id")):
            return response.text("")
        event = body.get("event") or {}
        if event.get("subtype") or not self._is_user_message(body):
            return response.text("")  # edits, joins, bot messages (our own replies) ...
        metadata = _event_metadata(body)
        if not self._is_supported_channel(body, metadata):
            return response.text("")
        user = str(event.get("user", ""))
        team = body.get("team_id") or event.get("team")
        metadata = self._with_assertion(metadata, user, team)
        conversation_id = self._get_conversation_id(
            user, metadata.get("out_channel"), metadata.get("thread_id")
        )
        text = self._sanitize_user_message(event.get("text", ""), metadata.get("users"))
        return await self.process_message(request, on_new_message, text, conversation_id, metadata)

    async def _interaction(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        try:
            payload = json.loads(request.form.get("payload", "{}"))
        except ValueError:
            return response.text("The payload is not JSON.", status=HTTPStatus.BAD_REQUEST)
        if not isinstance(payload, dict) or not self._is_interactive_message(payload):
            return response.text("")
        text = self._get_interactive_response(payload["actions"][0])
        if text is None:
            return response.text("")  # link buttons carry no value
        user = str((payload.get("user") or {}).get("id", ""))
        team = (payload.get("team") or {}).get("id") or (payload.get("user") or {}).get("team_id")
        metadata = self._with_assertion(_interaction_metadata(payload), user, team)
        conversation_id = self._get_conversation_id(
            user, metadata.get("out_channel"), metadata.get("thread_id")
        )
        return await self.process_message(request, on_new_message, text, conversation_id, metadata)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Serve ``GET /webhooks/slack/`` (status) and ``POST /webhooks/slack/webhook``."""
        slack_webhook = Blueprint("slack_webhook", __name__)

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.enabled else "disabled"})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.text(
                    "The Slack channel is not configured on this server.",
                    status=HTTPStatus.SERVICE_UNAVAILABLE,
                )
            if not self.is_request_from_slack_authentic(request):
                logger.warning("Slack request with a missing or wrong signature refused")
                return response.text(
                    "Missing or invalid X-Slack-Signature.", status=HTTPStatus.UNAUTHORIZED
                )
            if request.headers.get(self.retry_num_header or "x-slack-retry-num"):
                # Delivered before (we answer within Slack's 3 s, work continues in the
                # background): acknowledge so Slack stops retrying, answer nothing twice.
                logger.info(
                    "Slack retry #%s (%s) acknowledged",
                    request.headers.get(self.retry_num_header or "x-slack-retry-num"),
                    request.headers.get(self.retry_reason_header or "x-slack-retry-reason"),
                )
                return response.text("", headers={"X-Slack-No-Retry": "1"})
            content_type = (request.headers.get("content-type") or "").split(";")[0].strip()
            if content_type == "application/json":
                return await self._event(request, on_new_message)
            if content_type == "application/x-www-form-urlencoded":
                return await self._interaction(request, on_new_message)
            return response.text(
                "Expected a JSON event or a form-encoded interaction.",
                status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            )

        return slack_webhook
