"""Slack input channel: Rasa's SlackInput, hardened, durable and configured from the environment.

Referenced in credentials.yml as ``rasa_addons.channels.slack_channel.SlackChannel``; served at
``/webhooks/slack/webhook`` (Events API request URL and interactivity URL). Compared
with Rasa's own connector it:

- reads ``SLACK_TOKEN``, ``SLACK_SIGNING_SECRET`` and ``SLACK_API_BASE_URL`` from the
  environment (secrets stay out of credentials.yml); without token and secret it
  starts *disabled* and answers 503, so ``make run`` works without a Slack app;
- refuses unsigned or wrongly signed requests with 401 before looking at the body,
  and malformed ones with 4xx and a reason (never a 5xx);
- answers ``url_verification`` with ``{"challenge": ...}``;
- answers every message exactly once, across all Rasa processes, even if the process
  that acknowledged it dies: each delivery is stored in the Slack inbox
  (``rasa_addons/channels/slack_inbox.py``) before Slack gets its 200, and answered from there.
  A delivery stored before (Slack's retry, the same event at another process) is
  acknowledged without processing; one that cannot be stored gets 503, so Slack
  delivers it again;
- when answering fails (tracker store, lock store, anything), tells the user in the
  thread that it is having trouble (``rasa_addons.messages.TROUBLE``) and logs a line;
- puts only who wrote and where to answer in the message metadata (``slack_user_id``,
  ``slack_team_id``, ``out_channel``, ``thread_id``, ``users``): no signature or other
  credential, since metadata is stored in every tracker and published to the broker.
  The input channel ``slack`` itself vouches for the user: only this connector, after
  checking Slack's signature, produces it (``partners/identity.py``);
- replies in threads and renders markdown, buttons (Slack blocks) and the
  tier-progress card the Slack way;
- puts thumbs up / down buttons under the last message of each answer and records
  the votes (and, after a thumbs down, a comment) through the app
  (``rasa_addons/channels/slack_feedback.py``).

Runs in the Rasa server's Python 3.10 environment: Rasa, Sanic, SQLAlchemy, slack_sdk.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

from partners.public_url import public_base_url_from_env
from rasa_addons.channels import slack_feedback
from rasa_addons.channels.slack_inbox import InboxMessage, InboxUnavailableError, SlackInbox
from rasa_addons.messages import TROUBLE

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://slack.com/api/"
# Slack allows 25 elements per actions block and 75 characters per button label.
MAX_BUTTONS = 25
MAX_BUTTON_LABEL = 75
BAR_WIDTH = 10
# Slack's requests are a few kilobytes; its messages at most 40,000 characters.
MAX_BODY_BYTES = 1024 * 1024
MAX_TEXT = 40_000
# Slack's ids (users, channels, teams, events, triggers) and timestamps ("1712.000100").
SLACK_ID = re.compile(r"^[A-Za-z0-9._-]{1,80}$")
# A message is tried at most this often (first delivery plus take-overs), so one that
# kills every process answering it cannot go round forever.
MAX_ATTEMPTS = 3
CLEANUP_EVERY_SECONDS = 3600.0

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Absolute targets Slack may link to; anything else (javascript:, data:, "//host",
# "/\host", "\\host", ...) keeps only its label.
_ABSOLUTE_TARGET = re.compile(r"^(?:https?://[^/\\\s|]|mailto:[^\s|])", re.IGNORECASE)
# A path of our own site: one "/" followed by neither "/" nor "\" (browsers read
# "/\host" and "//host" as another host).
_SITE_PATH = re.compile(r"^/(?![/\\])[^\s|]*$")


def link_target(url: str) -> str | None:
    """Return where a markdown link may point in Slack, or None to drop the link.

    Only ``http(s)://host...`` and ``mailto:`` pass as they are; a path of the web page
    (``/account``) is made absolute with ``PA_PUBLIC_URL``. Everything else, including
    every scheme-relative trick, is refused.
    """
    if "|" in url or any(ord(char) < 32 for char in url):
        return None
    if _SITE_PATH.match(url):
        return public_base_url_from_env() + url
    if _ABSOLUTE_TARGET.match(url):
        return url
    return None


def to_mrkdwn(text: str) -> str:
    """Turn the assistant's markdown into Slack's mrkdwn.

    ``**bold**`` becomes ``*bold*``, ``*italic*`` becomes ``_italic_``, ``[label](url)``
    becomes ``<url|label>`` (see ``link_target``; a refused link keeps its label), list
    dashes become bullets and ``#`` headings bold lines.
    """
    held: list[str] = []

    def hold(value: str) -> str:
        held.append(value)
        return f"\x00{len(held) - 1}\x00"

    def link(match: re.Match[str]) -> str:
        label, target = match.group(1), link_target(match.group(2))
        return label if target is None else hold(f"<{target}|{label}>")

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
    # A what-if card shows the tier the partner would hold, never as its real tier.
    title = "With this what-if" if card.get("what_if") else "Your tier"
    heading = f"*{title}: {_slack_escape(str(card.get('tier', 'unknown')))}*"
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


class BadSlackRequestError(ValueError):
    """A signed request this channel cannot use; the message says why (sent as 400)."""


def _field(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


def _slack_id(value: Any, what: str, *, required: bool = True) -> str | None:
    """Return ``value`` if it is a well-formed Slack id or timestamp."""
    if value is None and not required:
        return None
    if isinstance(value, str) and SLACK_ID.match(value):
        return value
    raise BadSlackRequestError(f"{what} is missing or malformed")


def _ids(values: Any) -> list[str]:
    if not isinstance(values, list):
        return []
    return [value for value in values if isinstance(value, str) and SLACK_ID.match(value)]


def _one_line(error: BaseException) -> str:
    """Return an error's message on one log line (Redis errors span several)."""
    return " ".join(str(error).split())


def _chosen_value(action: dict[str, Any]) -> str | None:
    """Return what the user picked in an interactive element (the text sent to Rasa)."""
    kind = action.get("type")
    value: Any = None
    if kind == "button":
        value = action.get("value")
    elif kind in ("static_select", "external_select", "overflow"):
        value = _field(action.get("selected_option"), "value")
    elif kind == "select":
        options = action.get("selected_options")
        value = _field(options[0], "value") if isinstance(options, list) and options else None
    else:
        picked = {
            "conversations_select": "selected_conversation",
            "users_select": "selected_user",
            "channels_select": "selected_channel",
            "datepicker": "selected_date",
        }.get(str(kind))
        value = action.get(picked) if picked else None
    return value if isinstance(value, str) and value.strip() else None


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
        # While answering a turn, its newest message waits here, so the last one can
        # carry the feedback buttons (``finish_turn``).
        self.holding = False
        self._held: dict[str, Any] | None = None

    async def _post_message(self, channel: str, **kwargs: Any) -> None:
        if not self.holding:
            await super()._post_message(channel, **kwargs)
            return
        await self._post_held()
        self._held = {"channel": channel, **kwargs}

    async def _post_held(self, extra: dict[str, Any] | None = None) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        channel = held.pop("channel")
        if extra is None:
            await super()._post_message(channel, **held)
            return
        combined = slack_feedback.with_feedback(held, extra)
        if combined is None:  # no room in that message: the buttons go on their own
            await super()._post_message(channel, **held)
            combined = {"text": "Was this answer helpful?", "blocks": [extra]}
        await super()._post_message(channel, **combined)

    async def finish_turn(self, feedback: dict[str, Any] | None) -> None:
        """Post the turn's last message, with ``feedback`` (a block) added; stop holding."""
        self.holding = False
        await self._post_held(feedback)

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
            None,
            None,
            None,
            credentials.get("use_threads", True),
            os.environ.get("SLACK_SIGNING_SECRET") or credentials.get("slack_signing_secret") or "",
            credentials.get("conversation_granularity", "sender"),
            api_base_url=os.environ.get("SLACK_API_BASE_URL")
            or credentials.get("api_base_url")
            or DEFAULT_API_BASE_URL,
        )

    def __init__(
        self,
        *args: Any,
        api_base_url: str = DEFAULT_API_BASE_URL,
        inbox: SlackInbox | None = None,
        **kwargs: Any,
    ) -> None:
        self.api_base_url = api_base_url if api_base_url.endswith("/") else api_base_url + "/"
        super().__init__(*args, **kwargs)
        self.enabled = bool(self.slack_token and self.slack_signing_secret)
        self.inbox = inbox or SlackInbox.from_environment()
        self._on_new_message: OnNewMessage | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.feedback = slack_feedback.SlackFeedback(
            AsyncWebClient(self.slack_token, base_url=self.api_base_url, proxy=self.proxy),
            self._get_conversation_id,
        )
        if self.enabled:
            logger.info(
                "Slack channel enabled (Slack API at %s, inbox %s)",
                self.api_base_url,
                self.inbox.describe(),
            )

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

    # What a request asks for -------------------------------------------------------

    def _message(
        self, key: str, user: str, team: str | None, text: str, where: dict[str, Any]
    ) -> InboxMessage:
        metadata = dict(where, slack_user_id=user, slack_team_id=team)
        conversation_id = self._get_conversation_id(
            user, metadata.get("out_channel"), metadata.get("thread_id")
        )
        text = self._sanitize_user_message(text, metadata.get("users"))
        return InboxMessage(key, str(conversation_id), text, metadata)

    def message_from_event(self, body: Any) -> InboxMessage | None:
        """Return the message an ``event_callback`` asks to answer; None to ignore it.

        Raises:
            BadSlackRequestError: The event cannot be used.

        """
        event_id = _slack_id(_field(body, "event_id"), "event_id")
        event = _field(body, "event")
        if not isinstance(event, dict):
            raise BadSlackRequestError("event is missing or not an object")
        text = event.get("text")
        if (
            event.get("type") not in ("message", "app_mention")
            or event.get("subtype") is not None
            or event.get("bot_id") is not None
            or not isinstance(text, str)
            or not text.strip()
        ):
            return None  # edits, joins, bot messages (our own replies), reactions ...
        if len(text) > MAX_TEXT:
            raise BadSlackRequestError(f"text is longer than {MAX_TEXT} characters")
        channel = _slack_id(event.get("channel"), "event.channel")
        direct = event.get("channel_type") == "im"
        if not (direct or event.get("type") == "app_mention" or channel == self.slack_channel):
            return None  # a channel message that does not mention the assistant
        user = _slack_id(event.get("user"), "event.user")
        team = _slack_id(body.get("team_id") or event.get("team"), "team_id", required=False)
        thread = _slack_id(event.get("thread_ts") or event.get("ts"), "event.ts")
        users = _ids(body.get("authed_users"))
        authorizations = body.get("authorizations")
        if not users and isinstance(authorizations, list) and authorizations:
            users = _ids([_field(authorizations[0], "user_id")])
        where = {"out_channel": channel, "thread_id": thread, "users": users}
        return self._message(f"event:{event_id}", str(user), team, text, where)

    def message_from_interaction(self, payload: Any) -> InboxMessage | None:
        """Return the message a button click (or another element) sends; None to ignore it.

        Interactions have no event id and Slack does not retry them; their key is the
        click's ``trigger_id`` (unique per click), or a digest of who clicked what,
        where and when.

        Raises:
            BadSlackRequestError: The payload cannot be used.

        """
        if not isinstance(payload, dict):
            raise BadSlackRequestError("payload is not a JSON object")
        actions = payload.get("actions")
        action = actions[0] if isinstance(actions, list) and actions else None
        text = _chosen_value(action) if isinstance(action, dict) else None
        if text is None:
            return None  # link buttons, unsupported elements: nothing to answer
        user = _slack_id(_field(payload.get("user"), "id"), "user.id")
        team = _field(payload.get("team"), "id") or _field(payload.get("user"), "team_id")
        team = _slack_id(team, "team.id", required=False)
        message, container = payload.get("message"), payload.get("container")
        channel = _field(payload.get("channel"), "id") or _field(container, "channel_id")
        thread = (
            _field(message, "thread_ts") or _field(message, "ts") or _field(container, "message_ts")
        )
        channel = _slack_id(channel, "channel.id")
        thread = _slack_id(thread, "message.ts", required=False)
        trigger = payload.get("trigger_id")
        if isinstance(trigger, str) and SLACK_ID.match(trigger):
            key = f"interaction:{trigger}"
        else:
            click = [user, channel, thread, _field(action, "action_ts"), text]
            click.append(_field(action, "action_id"))
            digest = hashlib.sha256(json.dumps(click, default=str).encode()).hexdigest()
            key = f"interaction:{digest}"
        where = {"out_channel": channel, "thread_id": thread, "users": [user]}
        return self._message(key, str(user), team, text, where)

    # Answering ---------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, message: InboxMessage | None) -> HTTPResponse:
        """Store a delivery, then acknowledge it; answer it if it is new."""
        if message is None:
            return response.text("")
        try:
            new = await asyncio.to_thread(self.inbox.receive, message)
        except InboxUnavailableError as error:
            logger.error("Slack delivery %s not stored, Slack will retry: %s", message.key, error)
            return response.text(
                "The message could not be stored; please deliver it again.",
                status=HTTPStatus.SERVICE_UNAVAILABLE,
            )
        if not new:
            logger.info("Slack delivery %s was received before: acknowledged only", message.key)
            return response.text("")
        self._spawn(self._answer(message))
        return response.text("")

    def _output_for(self, message: InboxMessage) -> OutputChannel:
        metadata = message.metadata
        thread = metadata.get("thread_id") if self.use_threads else None
        return self.get_output_channel(metadata.get("out_channel"), thread)

    async def _answer(self, message: InboxMessage) -> None:
        """Run a stored message through Rasa, answer in its thread, settle its row."""
        metadata = message.metadata
        output = self._output_for(message)
        user_message = UserMessage(
            message.text, output, message.sender_id, input_channel=self.name(), metadata=metadata
        )
        if isinstance(output, SlackReplies):
            output.holding = True
        try:
            if self._on_new_message is None:
                raise RuntimeError("the Slack channel is not connected to Rasa yet")
            await self._on_new_message(user_message)
            if isinstance(output, SlackReplies):
                turn = user_message.message_id
                await output.finish_turn(slack_feedback.feedback_block(message.sender_id, turn))
        except Exception as error:  # any failing store or service: tell the user, log it
            if isinstance(output, SlackReplies):
                await self._post_what_was_said(output, message.key)
            logger.error(
                "Slack message %s failed, the user is told to try again: %s: %s",
                message.key,
                type(error).__name__,
                _one_line(error),
            )
            if not await self._tell_trouble(output, message):
                await self._retry_later(message)
                return
        await self._settle(message.key)

    async def _post_what_was_said(self, output: SlackReplies, key: str) -> None:
        """Post a held message of a failed turn (no feedback); the outage reply goes next."""
        try:
            await output.finish_turn(None)
        except Exception as error:
            logger.error("Slack message %s: a reply was not posted: %s", key, error)

    async def _tell_trouble(self, output: OutputChannel, message: InboxMessage) -> bool:
        try:
            await output.send_text_message(message.sender_id, TROUBLE)
        except Exception as error:
            logger.error("Slack message %s: cannot reach Slack either: %s", message.key, error)
            return False
        return True

    async def _retry_later(self, message: InboxMessage) -> None:
        try:
            if message.attempts >= MAX_ATTEMPTS:
                logger.error(
                    "Slack message %s given up after %d tries", message.key, message.attempts
                )
                await asyncio.to_thread(self.inbox.finish, message.key, failed=True)
            else:
                await asyncio.to_thread(self.inbox.release, message.key, self.inbox.lease_seconds)
        except InboxUnavailableError as error:
            logger.error("Slack message %s: inbox unavailable: %s", message.key, error)

    async def _settle(self, key: str) -> None:
        for pause in (0.0, 1.0, 3.0):
            await asyncio.sleep(pause)
            try:
                if not await asyncio.to_thread(self.inbox.finish, key):
                    logger.warning("Slack message %s was taken over by another process", key)
                return
            except InboxUnavailableError as error:
                logger.error("Slack message %s answered but not marked done: %s", key, error)

    async def _take_over(self, message: InboxMessage) -> None:
        """Answer a message another process acknowledged but did not finish."""
        if message.attempts > MAX_ATTEMPTS:
            logger.error("Slack message %s given up after %d tries", message.key, MAX_ATTEMPTS)
            await self._tell_trouble(self._output_for(message), message)
            try:
                await asyncio.to_thread(self.inbox.finish, message.key, failed=True)
            except InboxUnavailableError as error:
                logger.error("Slack message %s: inbox unavailable: %s", message.key, error)
            return
        logger.warning("Slack message %s taken over (try %d)", message.key, message.attempts)
        await self._answer(message)

    async def _keep_the_inbox(self) -> None:
        """Renew this process's leases and take over abandoned messages, forever."""
        last_cleanup = float("-inf")
        while True:
            await asyncio.sleep(self.inbox.poll_seconds)
            try:
                await asyncio.to_thread(self.inbox.renew)
                for message in await asyncio.to_thread(self.inbox.claim_expired):
                    self._spawn(self._take_over(message))
                if time.monotonic() - last_cleanup > CLEANUP_EVERY_SECONDS:
                    await asyncio.to_thread(self.inbox.forget_old)
                    last_cleanup = time.monotonic()
            except InboxUnavailableError as error:
                logger.error("Slack inbox unavailable: %s", error)
            except Exception:  # never let the keeper die: it is the safety net
                logger.exception("Slack inbox keeper failed; trying again")

    # Requests ----------------------------------------------------------------------

    async def _event(self, request: Request) -> HTTPResponse:
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):
            return response.text("The body is not JSON.", status=HTTPStatus.BAD_REQUEST)
        if not isinstance(body, dict):
            return response.text("The body is not a JSON object.", status=HTTPStatus.BAD_REQUEST)
        if body.get("type") == "url_verification":
            challenge = body.get("challenge")
            if not isinstance(challenge, str):
                return response.text("No challenge to answer.", status=HTTPStatus.BAD_REQUEST)
            return response.json({"challenge": challenge})
        if body.get("type") != "event_callback":
            return response.text("")  # app_rate_limited and other notices
        return await self._accept(self.message_from_event(body))

    async def _interaction(self, request: Request) -> HTTPResponse:
        form = parse_qs((request.body or b"").decode("utf-8", errors="replace"))
        raw = form.get("payload", [""])[0]
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError):
            return response.text("The payload is not JSON.", status=HTTPStatus.BAD_REQUEST)
        if slack_feedback.is_feedback_comment(payload):
            answer = await self.feedback.handle_comment(payload)
            return response.json(answer) if answer else response.text("")
        if slack_feedback.is_feedback_click(payload):
            vote = self.feedback.click(payload)
            if vote is None:
                raise BadSlackRequestError("the feedback button's value is malformed")
            self._spawn(self.feedback.handle_click(payload, vote))  # acknowledged at once
            return response.text("")
        return await self._accept(self.message_from_interaction(payload))

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Serve ``GET /webhooks/slack/`` (status) and ``POST /webhooks/slack/webhook``."""
        slack_webhook = Blueprint("slack_webhook", __name__)
        self._on_new_message = on_new_message

        @slack_webhook.listener("after_server_start")
        async def keep_the_inbox(_app: Sanic, _loop: Any) -> None:
            if self.enabled:
                self._spawn(self._keep_the_inbox())

        @slack_webhook.listener("before_server_stop")
        async def hand_over(_app: Sanic, _loop: Any) -> None:
            # Messages still being answered go to the other processes at once, not
            # after their lease runs out.
            for task in list(self._tasks):
                task.cancel()
            if self.enabled:
                try:
                    await asyncio.to_thread(self.inbox.release_all)
                except InboxUnavailableError as error:
                    logger.error("Slack inbox unavailable at shutdown: %s", error)

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
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.text(
                    "The request is too large.", status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE
                )
            if not self.is_request_from_slack_authentic(request):
                logger.warning("Slack request with a missing or wrong signature refused")
                return response.text(
                    "Missing or invalid X-Slack-Signature.", status=HTTPStatus.UNAUTHORIZED
                )
            if request.headers.get("x-slack-retry-num"):
                # Processed only if the first delivery never reached the inbox.
                logger.info(
                    "Slack retry #%s (%s)",
                    request.headers.get("x-slack-retry-num"),
                    request.headers.get("x-slack-retry-reason"),
                )
            content_type = (request.headers.get("content-type") or "").split(";")[0].strip()
            try:
                if content_type == "application/json":
                    return await self._event(request)
                if content_type == "application/x-www-form-urlencoded":
                    return await self._interaction(request)
            except BadSlackRequestError as error:
                return response.text(
                    f"Unusable Slack request: {error}.", status=HTTPStatus.BAD_REQUEST
                )
            return response.text(
                "Expected a JSON event or a form-encoded interaction.",
                status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            )

        return slack_webhook
