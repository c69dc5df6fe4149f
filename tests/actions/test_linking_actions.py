"""action_link_account and action_unlink_account, run by rasa-sdk's real executor.

The one-time link goes to the Slack user privately (chat.postEphemeral, at the fake
Slack); the reply, which is stored in the conversation, only says that it was sent.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot.routers.actions import build_executor
from partners import linking
from partners.messages import TROUBLE
from settings import get_settings
from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.fakes.fake_slack import FakeSlack
from tests.partners.fixtures import action_call, slack_metadata, token_for

LINK = re.compile(r"https?://\S+/link\?code=([A-Za-z0-9_-]+)")
CHANNEL = "D0LINKING"


@pytest.fixture(autouse=True)
def slack_api(web: WebApp, fake_slack: FakeSlack) -> Any:
    """The app's Slack Web API is the fake Slack (for the private one-time links)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLACK_TOKEN", fake_slack.token)
        patch.setenv("SLACK_API_BASE_URL", fake_slack.base_url)
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


def _private_code(fake: FakeSlack, user: str) -> str:
    """The code of the last one-time link shown to ``user`` alone."""
    sent = [m for m in fake.ephemeral(CHANNEL) if m.get("user") == user]
    match = LINK.search(str(sent[-1].get("text"))) if sent else None
    assert match, fake.ephemeral()
    return match.group(1)


def _run(name: str, **changes: Any) -> str:
    result = asyncio.run(
        build_executor().run(action_call("partner_slack", next_action=name, **changes))
    )
    assert result is not None
    return "\n".join(str(reply.get("text") or "") for reply in result.model_dump()["responses"])


def _from_slack(user: str, text: str) -> dict[str, Any]:
    return {
        "text": text,
        "metadata": dict(
            slack_metadata(user=user, team="TACT"), out_channel=CHANNEL, thread_id="1700000000.1"
        ),
        "input_channel": "slack",
    }


def _linked_to(web: WebApp, user: str) -> str | None:
    with Session(web.store.engine) as session:
        return linking.linked_partner_id(session, "slack", user)


def test_an_unlinked_slack_user_gets_a_one_time_link(web: WebApp, fake_slack: FakeSlack) -> None:
    reply = _run("action_link_account", **_from_slack("UACTION1", "link my account"))
    assert "private one-time link" in reply and "expires in 15 minutes" in reply
    assert not LINK.search(reply)  # the reply is stored in the conversation: no code
    code = _private_code(fake_slack, "UACTION1")
    [sent] = [m for m in fake_slack.ephemeral(CHANNEL) if m.get("user") == "UACTION1"]
    assert sent["thread_ts"] == "1700000000.1"
    with Session(web.store.engine) as session:
        pending = linking.pending_link(session, code)
    assert (pending.external_user_id, pending.team_id) == ("UACTION1", "TACT")

    # The partner confirms on the web page; asking again says so.
    with Session(web.store.engine) as session:
        linking.redeem_link_code(session, code, "P-0007")
        session.commit()
    again = _run("action_link_account", **_from_slack("UACTION1", "link my account"))
    assert "already linked to partner P-0007" in again
    assert not LINK.search(again)


def test_unlinking_from_slack(web: WebApp, fake_slack: FakeSlack) -> None:
    _run("action_link_account", **_from_slack("UACTION2", "link my account"))
    with Session(web.store.engine) as session:
        linking.redeem_link_code(session, _private_code(fake_slack, "UACTION2"), "P-0008")
        session.commit()

    done = _run("action_unlink_account", **_from_slack("UACTION2", "unlink my account"))
    assert "no longer linked to partner P-0008" in done
    assert _linked_to(web, "UACTION2") is None
    nothing = _run("action_unlink_account", **_from_slack("UACTION2", "unlink my account"))
    assert "isn't linked" in nothing


def test_slack_ids_on_another_channel_get_no_link(web: WebApp, fake_slack: FakeSlack) -> None:
    # Only the Slack connector records the `slack` channel (partners.identity): Slack
    # ids in a REST message are just text, and nobody gets a link for them.
    metadata = dict(slack_metadata(user="UACTION3", team="TACT"), out_channel=CHANNEL)
    reply = _run(
        "action_link_account", text="link my account", metadata=metadata, input_channel="rest"
    )
    assert "Account linking is for Slack" in reply
    assert not [m for m in fake_slack.ephemeral() if m.get("user") == "UACTION3"]


def test_on_the_web_there_is_nothing_to_link(web: WebApp) -> None:
    reply = _run(
        "action_link_account",
        text="link my account",
        metadata={"token": token_for("P-0001")},
        input_channel="rest",
    )
    assert "already signed in" in reply
    assert "(/account)" in reply


def test_an_unlinked_slack_user_asking_for_the_tier_gets_the_link(
    web: WebApp, fake_slack: FakeSlack
) -> None:
    reply = _run("action_tier_status", **_from_slack("UACTION4", "what's my tier?"))
    assert "private one-time link" in reply and not LINK.search(reply), reply
    assert _private_code(fake_slack, "UACTION4")


def test_a_link_slack_does_not_take_is_an_honest_trouble(
    web: WebApp, fake_slack: FakeSlack
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLACK_TOKEN", "xoxb-revoked")  # Slack answers invalid_auth
        get_settings.cache_clear()
        reply = _run("action_link_account", **_from_slack("UACTION5", "link my account"))
    get_settings.cache_clear()
    assert reply == TROUBLE
