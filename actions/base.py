"""The one way a custom action works: off the event loop, logged, apologised for.

The action server runs every action on one event loop (``rasa_sdk``'s
``ActionExecutor``); a database read, a search or a call to Slack there would stall
every other conversation. So each action that does such work is an ``OffLoopAction``:

- ``work`` computes the reply in a worker thread (``asyncio.to_thread``);
- ``send`` utters it on the event loop and returns the events it implies;
- a failing ``work`` (store, index, catalogue, Slack) is logged, with the traceback,
  the action's name and the sender, in the action's own module's logger, and the user
  gets the action's ``apology`` (one of the texts of ``partners.messages``, where all
  apologies live) marked ``outcome="error"``, never a stack trace.

``tracker.events`` holds the events from the latest user message on (Rasa sends no
more, rasa_addons/server/action_calls.py); slots, ``latest_message`` and the active
loop are complete. An action that reads the history further back is listed there, in
``HISTORY_ACTIONS``, as the handoff is.

The partner store, settings and catalogue come from ``context()`` (the process's
``partners.context.default_context``); a database session is opened the one way,
``self.context().session()``.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from partners import messages
from partners.context import PartnerContext, default_context

ReplyT = TypeVar("ReplyT")


class OffLoopAction(Action, ABC, Generic[ReplyT]):
    """Run ``work`` off the event loop and ``send`` its reply; log and apologise on failure."""

    action_name: ClassVar[str] = ""
    apology: ClassVar[str] = messages.TROUBLE

    def name(self) -> str:
        """Return the action's name in the domain."""
        return self.action_name

    def context(self) -> PartnerContext:
        """Return the settings, store and catalogue of this process."""
        return default_context()

    @abstractmethod
    def work(self, tracker: Tracker) -> ReplyT:
        """Compute the reply to the latest message (runs in a worker thread)."""

    @abstractmethod
    def send(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, reply: ReplyT
    ) -> list[EventType]:
        """Utter ``reply`` and return the events it implies (runs on the event loop)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Answer the latest message, or apologise when its work fails."""
        try:
            reply = await asyncio.to_thread(self.work, tracker)
        except Exception:  # any dependency failing: a polite answer, the details in the log
            logger = logging.getLogger(type(self).__module__)
            logger.exception("%s failed for %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=self.apology, outcome="error")
            return []
        return self.send(dispatcher, tracker, reply)


class TextAction(OffLoopAction[str]):
    """An ``OffLoopAction`` whose reply is one plain text."""

    def send(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, reply: str
    ) -> list[EventType]:
        """Utter the text; no events."""
        dispatcher.utter_message(text=reply)
        return []
