"""An apology instead of silence when a custom action cannot be run.

Rasa 3.6 logs a failed custom-action call (the app is down or unreachable, times out,
or answers with an error) and carries on without the action's events, so the partner
gets no reply at all, on every channel Rasa serves (REST, Socket.IO, Slack). With
``apply()`` the failed action instead answers with an apology, in the conversation
and on the channel it came from, and the failure is still logged as an error.

A rejection (``ActionExecutionRejection``, a form refusing a slot) is Rasa's own
dialogue mechanism, not a failure, and passes through untouched.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import BotUttered, Event
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = (
    "Sorry, I can't reach the partner services right now, so I can't answer that. "
    "Please try again in a few minutes."
)


async def _run_or_apologise(self: RemoteAction, *args: Any, **kwargs: Any) -> list[Event]:
    """Drop-in for ``RemoteAction.run``: Rasa's call, or an apology if it fails."""
    try:
        events: list[Event] = await _rasa_run(self, *args, **kwargs)
    except ActionExecutionRejection:
        raise
    except RasaException as error:
        logger.error("custom action '%s' failed, the user gets an apology: %s", self.name(), error)
        return [BotUttered(UNAVAILABLE_MESSAGE)]
    return events


_rasa_run = RemoteAction.run


def apply() -> None:
    """Install the apology (idempotent)."""
    RemoteAction.run = _run_or_apologise  # type: ignore[method-assign]
