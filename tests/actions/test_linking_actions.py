"""action_link_account and action_unlink_account, run by rasa-sdk's real executor."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy.orm import Session

from bot.routers.actions import build_executor
from partners import linking
from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.partners.fixtures import action_call, slack_metadata, token_for

LINK = re.compile(r"https?://\S+/link\?code=([A-Za-z0-9_-]+)")


def _run(name: str, **changes: Any) -> str:
    result = asyncio.run(
        build_executor().run(action_call("partner_slack", next_action=name, **changes))
    )
    assert result is not None
    return "\n".join(str(reply.get("text") or "") for reply in result.model_dump()["responses"])


def _from_slack(user: str, text: str) -> dict[str, Any]:
    return {
        "text": text,
        "metadata": slack_metadata(user=user, team="TACT"),
        "input_channel": "slack",
    }


def _linked_to(web: WebApp, user: str) -> str | None:
    with Session(web.store.engine) as session:
        return linking.linked_partner_id(session, "slack", user)


def test_an_unlinked_slack_user_gets_a_one_time_link(web: WebApp) -> None:
    reply = _run("action_link_account", **_from_slack("UACTION1", "link my account"))
    match = LINK.search(reply)
    assert match, reply
    assert "expires in 15 minutes" in reply
    with Session(web.store.engine) as session:
        pending = linking.pending_link(session, match.group(1))
    assert (pending.external_user_id, pending.team_id) == ("UACTION1", "TACT")

    # The partner confirms on the web page; asking again says so.
    with Session(web.store.engine) as session:
        linking.redeem_link_code(session, match.group(1), "P-0007")
        session.commit()
    again = _run("action_link_account", **_from_slack("UACTION1", "link my account"))
    assert "already linked to partner P-0007" in again
    assert not LINK.search(again)


def test_unlinking_from_slack(web: WebApp) -> None:
    reply = _run("action_link_account", **_from_slack("UACTION2", "link my account"))
    with Session(web.store.engine) as session:
        linking.redeem_link_code(session, LINK.search(reply).group(1), "P-0008")  # type: ignore[union-attr]
        session.commit()

    done = _run("action_unlink_account", **_from_slack("UACTION2", "unlink my account"))
    assert "no longer linked to partner P-0008" in done
    assert _linked_to(web, "UACTION2") is None
    nothing = _run("action_unlink_account", **_from_slack("UACTION2", "unlink my account"))
    assert "isn't linked" in nothing


def test_a_forged_slack_identity_gets_no_link(web: WebApp) -> None:
    forged = slack_metadata(user="UACTION3", team="TACT")
    forged["slack_sig"] = "0" * 64
    reply = _run(
        "action_link_account", text="link my account", metadata=forged, input_channel="slack"
    )
    assert "couldn't verify" in reply
    assert not LINK.search(reply)
    # A REST client claiming the slack channel without any assertion is no better.
    reply = _run(
        "action_unlink_account",
        text="unlink",
        metadata={"slack_user_id": "U0SAMPLE0020"},
        input_channel="slack",
    )
    assert "couldn't verify" in reply


def test_on_the_web_there_is_nothing_to_link(web: WebApp) -> None:
    reply = _run(
        "action_link_account",
        text="link my account",
        metadata={"token": token_for("P-0001")},
        input_channel="rest",
    )
    assert "already signed in" in reply
    assert "(/account)" in reply


def test_an_unlinked_slack_user_asking_for_the_tier_gets_the_link(web: WebApp) -> None:
    reply = _run("action_tier_status", **_from_slack("UACTION4", "what's my tier?"))
    assert LINK.search(reply), reply
