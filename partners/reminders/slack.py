"""Post a reminder as a Slack direct message (``chat.postMessage`` to the user id).

The app's ``SLACK_TOKEN`` and ``SLACK_API_BASE_URL`` (the same as the one-time links
of ``actions/linking.py``; the tests point it at the fake Slack). The answer is
sorted by what it proves for the send record (``partners.reminders.outbox``): Slack
took the message, surely did not, or nobody can tell.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import httpx

from partners.reminders.texts import slack_text

logger = logging.getLogger(__name__)

SLACK_API_TIMEOUT_S = 10.0
Outcome = Literal["sent", "failed", "sending"]


@dataclass(frozen=True)
class SlackResult:
    """What a post proved: ``sent``; ``failed`` (surely not posted); ``sending`` (unknown)."""

    outcome: Outcome
    error: str | None = None


def post_direct_message(
    base_url: str, token: str, user: str, markdown: str, *, thread_ts: str | None = None
) -> SlackResult:
    """Send ``markdown`` (converted to mrkdwn) to the Slack ``user`` as a direct message.

    ``user`` may be any conversation id (a channel too); ``thread_ts`` posts the
    message as a reply in that thread (the live handoff, ``partners.handoff_live``).
    """
    url = base_url.rstrip("/") + "/chat.postMessage"
    body: dict[str, object] = {"channel": user, "text": slack_text(markdown), "unfurl_links": False}
    if thread_ts:
        body["thread_ts"] = thread_ts
    try:
        response = httpx.post(
            url,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=SLACK_API_TIMEOUT_S,
        )
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        # The request never reached Slack.
        return SlackResult("failed", f"Slack unreachable: {type(error).__name__}: {error}")
    except httpx.HTTPError as error:
        return SlackResult("sending", f"no answer from Slack: {type(error).__name__}: {error}")
    if response.status_code == 429:
        return SlackResult("failed", "Slack rate-limited the message (HTTP 429)")
    if response.status_code >= 500:
        return SlackResult("sending", f"Slack answered HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        return SlackResult("sending", f"Slack answered HTTP {response.status_code}, not JSON")
    if isinstance(answer, dict) and answer.get("ok") is True:
        return SlackResult("sent")
    reason = answer.get("error") if isinstance(answer, dict) else answer
    return SlackResult("failed", f"Slack refused the message: {reason!r}")
