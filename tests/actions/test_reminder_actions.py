"""action_stop_reminders and action_start_reminders, run by rasa-sdk's real executor.

The choice belongs to the verified chat identity that asks: a linked Slack user's own
direct messages, or the signed-in partner's web notices; nobody else's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.routers.actions import build_executor
from partners.messages import SIGN_IN_WEB
from partners.models import ReminderPreference
from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.partners.fixtures import SAMPLE_SLACK_USER, action_call, slack_metadata


def _run(fixture: str, name: str, **changes: Any) -> str:
    result = asyncio.run(build_executor().run(action_call(fixture, next_action=name, **changes)))
    assert result is not None
    return "\n".join(str(reply.get("text") or "") for reply in result.model_dump()["responses"])


def _choices(web: WebApp) -> dict[str, bool]:
    with Session(web.store.engine) as session:
        rows = session.scalars(select(ReminderPreference))
        return {f"{row.channel}:{row.recipient}": row.enabled for row in rows}


def test_a_linked_slack_user_turns_their_own_reminders_off_and_on(web: WebApp) -> None:
    off = _run("partner_slack", "action_stop_reminders", text="stop reminders")
    assert "reminders are off for this Slack account" in off
    assert _choices(web)[f"slack:{SAMPLE_SLACK_USER}"] is False
    assert "web:P-0020" not in _choices(web)  # the partner's web notices stay as they were
    on = _run("partner_slack", "action_start_reminders", text="turn reminders back on")
    assert "Reminders are on for this Slack account" in on and "between 09:00 and 17:00" in on
    assert _choices(web)[f"slack:{SAMPLE_SLACK_USER}"] is True


def test_an_unlinked_slack_user_is_told_it_gets_no_reminders(web: WebApp) -> None:
    metadata = slack_metadata(user="UNOTLINKED1", team="T0SAMPLE")
    reply = _run("partner_slack", "action_stop_reminders", text="stop reminders", metadata=metadata)
    assert "isn't linked to a company, so it gets no reminders" in reply
    assert "slack:UNOTLINKED1" not in _choices(web)


def test_on_the_web_the_signed_in_partner_turns_its_web_notices_off(web: WebApp) -> None:
    reply = _run("partner_tier_status", "action_stop_reminders", text="stop reminders")
    assert "reminders are off for P-0001 here in the chat" in reply
    assert _choices(web)["web:P-0001"] is False
    anonymous = _run(
        "partner_tier_status", "action_start_reminders", text="remind me", signed_in_as=None
    )
    assert anonymous == SIGN_IN_WEB and _choices(web)["web:P-0001"] is False
