"""An apology instead of silence when a custom action cannot be run, in time.

Rasa 3.6 logs a failed custom-action call (the app is down or unreachable, or answers
with an error) and carries on without the action's events, so the partner gets no reply
at all, on every channel Rasa serves (REST, Slack). A slow call is worse: Rasa waits
up to 300 s (``DEFAULT_REQUEST_TIMEOUT``) while the conversation's lock lives only 60 s
(``TICKET_LOCK_LIFETIME``), so the next message of the conversation may be processed
beside the stuck one, and when the wait ends the ``asyncio.TimeoutError`` is not even
one of the failures Rasa reports. With ``run_or_apologise`` installed:

- each custom-action call ends after ``PA_ACTION_TIMEOUT`` seconds (default 20), well
  inside the lock's lifetime; a server whose timeout is not shorter than the lifetime
  refuses to start (``ActionTimeoutError``);
- a failed or timed-out action answers with ``rasa_addons.messages.TROUBLE``, in the
  conversation and on the channel it came from, and the failure is logged as an error.

A rejection (``ActionExecutionRejection``, a form refusing a slot) is Rasa's own
dialogue mechanism, not a failure, and passes through untouched.

Rasa offers no extension point around a custom-action call (its plugin hooks
``prefix_stripping_for_custom_actions`` and ``prefixing_custom_actions_response`` only
rewrite the request and a successful response), so this replaces one method,
``RemoteAction.run`` (rasa/core/actions/action.py of Rasa 3.6.21, lines 748-838), with
a wrapper that calls Rasa's own: rasa_addons/server/patches.py installs it, after
``set_timeout()`` has read ``PA_ACTION_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import rasa.core.lock_store
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import BotUttered, Event
from rasa.shared.exceptions import RasaException

from rasa_addons.messages import TROUBLE

logger = logging.getLogger(__name__)

TIMEOUT_VARIABLE = "PA_ACTION_TIMEOUT"
DEFAULT_TIMEOUT_S = 20.0


class ActionTimeoutError(ValueError):
    """``PA_ACTION_TIMEOUT`` is not a number of seconds shorter than the lock's lifetime."""


def action_timeout(environ: dict[str, str] | os._Environ[str] = os.environ) -> float:
    """Return the custom-action timeout in seconds, checked against the lock's lifetime.

    Raises:
        ActionTimeoutError: Not a positive number, or not shorter than the lifetime.

    """
    text = environ.get(TIMEOUT_VARIABLE, "").strip()
    try:
        seconds = float(text) if text else DEFAULT_TIMEOUT_S
    except ValueError:
        raise ActionTimeoutError(
            f"{TIMEOUT_VARIABLE}={text!r} is not a number of seconds"
        ) from None
    lifetime = rasa.core.lock_store.LOCK_LIFETIME
    if not 0 < seconds < lifetime:
        raise ActionTimeoutError(
            f"{TIMEOUT_VARIABLE}={seconds:g} s must be above 0 and shorter than the "
            f"conversation lock's lifetime (TICKET_LOCK_LIFETIME={lifetime} s): a turn "
            "still waiting on its action after the lock expired runs beside the next one"
        )
    return seconds


_timeout_s = DEFAULT_TIMEOUT_S


async def run_or_apologise(self: RemoteAction, *args: Any, **kwargs: Any) -> list[Event]:
    """Drop-in for ``RemoteAction.run``: Rasa's call within the timeout, or an apology."""
    try:
        events: list[Event] = await asyncio.wait_for(_rasa_run(self, *args, **kwargs), _timeout_s)
    except ActionExecutionRejection:
        raise
    except asyncio.TimeoutError:
        logger.error(
            "custom action '%s' took longer than %g s (%s), the user gets an apology",
            self.name(),
            _timeout_s,
            TIMEOUT_VARIABLE,
        )
        return [BotUttered(TROUBLE)]
    except RasaException as error:
        logger.error("custom action '%s' failed, the user gets an apology: %s", self.name(), error)
        return [BotUttered(TROUBLE)]
    return events


_rasa_run = RemoteAction.run


def set_timeout(environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    """Set the timeout ``run_or_apologise`` gives each call (see ``action_timeout``).

    Raises:
        ActionTimeoutError: ``PA_ACTION_TIMEOUT`` is invalid.

    """
    global _timeout_s
    _timeout_s = action_timeout(environ)
