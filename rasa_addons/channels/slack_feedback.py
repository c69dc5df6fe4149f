"""Feedback buttons in Slack: thumbs up / down under each answer, a comment after a down.

The Slack channel (``rasa_addons/channels/slack_channel.py``) holds back the last message of
each answer and posts it with ``feedback_block`` appended: two buttons,
``pa_feedback_up`` and ``pa_feedback_down``, whose value names the turn (the id of
the user message it answers) and the conversation. A click comes back through the
interactivity URL; ``SlackFeedback`` acknowledges it at once and then, in the
background, records the vote and says thanks privately (``chat.postEphemeral``). A
thumbs down first opens a modal (``views.open``, within the 3 s the click's
``trigger_id`` lives) asking "What was missing?"; its ``view_submission`` records the
comment (voting again replaces the vote: one row per turn).

The Rasa side has no partner store: votes go to the app's internal
``POST /v1/feedback/slack`` with the action webhook's shared secret
(``X-Action-Secret``, ``PA_ACTION_SECRET``), at ``PA_FEEDBACK_URL`` or, by default,
the origin of ``PA_ACTION_ENDPOINT_URL`` (the app) + ``/v1/feedback/slack``. Votes do
not go through the inbox: Slack does not retry clicks, a vote is idempotent, and a
vote that cannot be recorded is told to the user ("try again in a minute").

Only the person whose conversation it is may rate an answer: the clicking user's
conversation id must be the one in the button's value.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)

UP, DOWN = "pa_feedback_up", "pa_feedback_down"
ACTIONS = {UP: "up", DOWN: "down"}
MODAL = "pa_feedback_comment"
COMMENT_BLOCK, COMMENT_INPUT = "comment", "text"
COMMENT_LIMIT = 1000
THANKS = "Thanks for your feedback."
NOT_SAVED = "Your feedback could not be saved right now, please try again in a minute."
NOT_YOURS = "Only the person who asked can rate this answer."
TURN = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
SLACK_ID = re.compile(r"^[A-Za-z0-9._-]{1,80}$")
APP_TIMEOUT = aiohttp.ClientTimeout(total=2.5)
SECTION_LIMIT = 3000  # characters of one section block's text
MAX_BLOCKS = 50

# (user, channel, thread) -> the conversation id the channel would give that message.
ConversationOf = Callable[[str, str | None, str | None], str | None]


def feedback_block(sender_id: str, turn: str) -> dict[str, Any]:
    """Return the actions block with the thumbs buttons for one answered turn."""
    value = json.dumps({"turn": turn, "sender": sender_id}, separators=(",", ":"))
    return {
        "type": "actions",
        "block_id": "pa_feedback",
        "elements": [
            {
                "type": "button",
                "action_id": action,
                "text": {"type": "plain_text", "text": symbol, "emoji": True},
                "value": value,
                "accessibility_label": label,
            }
            for action, symbol, label in (
                (UP, ":+1:", "Helpful answer"),
                (DOWN, ":-1:", "Not helpful: tell us what was missing"),
            )
        ],
    }


def with_feedback(message: dict[str, Any], block: dict[str, Any]) -> dict[str, Any] | None:
    """Return the ``chat.postMessage`` arguments of ``message`` with ``block`` added.

    A text message becomes sections of at most 3,000 characters (Slack's limit) with
    the block after them; None when the block cannot be added (attachments, too many
    blocks): then the buttons go in a message of their own.
    """
    blocks = message.get("blocks")
    if isinstance(blocks, list):
        if len(blocks) >= MAX_BLOCKS:
            return None
        return {**message, "blocks": [*blocks, block]}
    text = message.get("text")
    if not isinstance(text, str) or not text.strip() or message.get("attachments"):
        return None
    sections = [text[i : i + SECTION_LIMIT] for i in range(0, len(text), SECTION_LIMIT)]
    if len(sections) >= MAX_BLOCKS:
        return None
    return {
        **message,
        "blocks": [
            *({"type": "section", "text": {"type": "mrkdwn", "text": part}} for part in sections),
            block,
        ],
    }


def feedback_url() -> str | None:
    """Where the app records Slack votes, or None when the app's address is unknown."""
    explicit = os.environ.get("PA_FEEDBACK_URL")
    if explicit:
        return explicit
    actions = urlsplit(os.environ.get("PA_ACTION_ENDPOINT_URL") or "")
    if not actions.scheme or not actions.netloc:
        return None
    return f"{actions.scheme}://{actions.netloc}/v1/feedback/slack"


def comment_modal(private_metadata: str) -> dict[str, Any]:
    """Return the modal asking what was missing (optional): Send or Skip."""
    return {
        "type": "modal",
        "callback_id": MODAL,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "Your feedback"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [
            {
                "type": "input",
                "block_id": COMMENT_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "What was missing?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": COMMENT_INPUT,
                    "multiline": True,
                    "max_length": COMMENT_LIMIT,
                },
            }
        ],
    }


def thanks_view() -> dict[str, Any]:
    """Return the modal's last view, after a comment was recorded."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Your feedback"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": THANKS}}],
    }


def _field(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


def _slack_id(value: Any) -> str | None:
    return value if isinstance(value, str) and SLACK_ID.match(value) else None


def is_feedback_click(payload: Any) -> bool:
    """Whether an interactivity payload is a click on a feedback button."""
    actions = _field(payload, "actions")
    action = actions[0] if isinstance(actions, list) and actions else None
    return _field(payload, "type") == "block_actions" and _field(action, "action_id") in ACTIONS


def is_feedback_comment(payload: Any) -> bool:
    """Whether an interactivity payload is the submission of the comment modal."""
    return (
        _field(payload, "type") == "view_submission"
        and _field(_field(payload, "view"), "callback_id") == MODAL
    )


class Vote:
    """One vote as a click or a submission describes it, checked."""

    def __init__(self, turn: str, sender: str, user: str, channel: str, thread: str | None):
        """Hold a vote's turn, conversation and where the user clicked."""
        self.turn, self.sender, self.user = turn, sender, user
        self.channel, self.thread = channel, thread

    @classmethod
    def parse(cls, raw: Any, user: Any, channel: Any, thread: Any) -> Vote | None:
        """Return the vote a button value (JSON) and a click's place name; None if unusable."""
        try:
            value = json.loads(raw) if isinstance(raw, str) else None
        except (ValueError, RecursionError):
            return None
        turn, sender = _field(value, "turn"), _field(value, "sender")
        if not (isinstance(turn, str) and TURN.match(turn)):
            return None
        if not (isinstance(sender, str) and 0 < len(sender) <= 200):
            return None
        user, channel = _slack_id(user), _slack_id(channel)
        if user is None or channel is None:
            return None
        return cls(turn, sender, user, channel, _slack_id(thread))

    def metadata(self) -> str:
        """Return the modal's private metadata: what the submission needs to find the turn."""
        return json.dumps(
            {
                "turn": self.turn,
                "sender": self.sender,
                "channel": self.channel,
                "thread": self.thread,
            }
        )


class SlackFeedback:
    """Handles the feedback clicks and comments of the Slack channel."""

    def __init__(self, client: AsyncWebClient, conversation_of: ConversationOf) -> None:
        """Talk to Slack with ``client``; ``conversation_of`` is the channel's id rule."""
        self.client = client
        self.conversation_of = conversation_of

    def _owns(self, vote: Vote) -> bool:
        return self.conversation_of(vote.user, vote.channel, vote.thread) == vote.sender

    def click(self, payload: dict[str, Any]) -> Vote | None:
        """Return the vote a feedback click asks for, or None (unusable or not the asker's)."""
        action = payload["actions"][0]
        message, container = payload.get("message"), payload.get("container")
        channel = _field(payload.get("channel"), "id") or _field(container, "channel_id")
        thread = (
            _field(message, "thread_ts") or _field(message, "ts") or _field(container, "message_ts")
        )
        return Vote.parse(action.get("value"), _field(payload.get("user"), "id"), channel, thread)

    async def handle_click(self, payload: dict[str, Any], vote: Vote) -> None:
        """Record a click's vote; a thumbs down opens the comment modal first."""
        kind = ACTIONS[payload["actions"][0]["action_id"]]
        if not self._owns(vote):
            await self._tell(vote, NOT_YOURS)
            return
        if kind == "down":
            trigger = payload.get("trigger_id")
            try:
                if not isinstance(trigger, str) or not trigger:
                    raise ValueError("the click has no trigger_id")
                view = comment_modal(vote.metadata())
                await self.client.views_open(trigger_id=trigger, view=view)
            except Exception as error:  # the vote still counts; only the comment box is missing
                logger.error("Slack feedback: comment modal not opened: %s", error)
        if await self.record(vote, kind):
            if kind == "up":
                await self._tell(vote, THANKS)
        else:
            await self._tell(vote, NOT_SAVED)

    async def handle_comment(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Record a submitted comment; return the modal's answer (None to close it).

        Answered within Slack's 3 s: the app is given 2.5 s; if it cannot record the
        comment, the modal says so and stays open for another try.
        """
        view = payload.get("view") or {}
        try:
            where = json.loads(view.get("private_metadata") or "")
        except (ValueError, RecursionError, TypeError):
            return None
        vote = Vote.parse(
            json.dumps({"turn": _field(where, "turn"), "sender": _field(where, "sender")}),
            _field(payload.get("user"), "id"),
            _field(where, "channel"),
            _field(where, "thread"),
        )
        if vote is None or not self._owns(vote):
            return None
        values = _field(_field(view.get("state"), "values"), COMMENT_BLOCK)
        comment = _field(_field(values, COMMENT_INPUT), "value")
        comment = comment.strip()[:COMMENT_LIMIT] if isinstance(comment, str) else None
        if not await self.record(vote, "down", comment or None):
            return {"response_action": "errors", "errors": {COMMENT_BLOCK: NOT_SAVED}}
        return {"response_action": "update", "view": thanks_view()}

    async def record(self, vote: Vote, kind: str, comment: str | None = None) -> bool:
        """Send the vote to the app; whether it was recorded (failures are logged)."""
        url, secret = feedback_url(), os.environ.get("PA_ACTION_SECRET")
        if not url or not secret:
            logger.error("Slack feedback not recorded: PA_ACTION_ENDPOINT_URL or secret unset")
            return False
        body: dict[str, Any] = {"sender_id": vote.sender, "turn": vote.turn, "vote": kind}
        if comment:
            body["comment"] = comment
        try:
            async with (
                aiohttp.ClientSession(timeout=APP_TIMEOUT) as session,
                session.post(url, json=body, headers={"X-Action-Secret": secret}) as answer,
            ):
                if answer.status == 201:
                    return True
                reason = (await answer.text())[:200]
                logger.error("Slack feedback refused by the app (%s): %s", answer.status, reason)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.error("Slack feedback not recorded, the app is unreachable: %r", error)
        return False

    async def _tell(self, vote: Vote, text: str) -> None:
        """Say something to the voter alone, in the answer's thread."""
        try:
            arguments: dict[str, Any] = {"channel": vote.channel, "user": vote.user, "text": text}
            if vote.thread:
                arguments["thread_ts"] = vote.thread
            await self.client.chat_postEphemeral(**arguments)
        except Exception as error:
            logger.error("Slack feedback: %r not shown to the user: %s", text, error)
