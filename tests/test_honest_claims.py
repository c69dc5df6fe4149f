"""The assistant never claims what it does not do: each fixed claim, pinned.

The texts a partner reads (facts.yaml answers, domain.yml responses, action replies,
the web page) are read straight from where they live, so a promise slipping back in
fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.handoff import (
    NO_HOURS,
    OFFICE_CLOSED,
    OFFICE_OPEN,
    TICKET_EXTENDED,
    TICKET_OPENED,
)
from knowledge.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parent.parent
# Things nothing in the assistant does: read a portal session, alert a person,
# send an e-mail, notify partners ahead of a change, answer by a given time.
PROMISES = re.compile(
    r"portal session|knows who you are|get back to you|will be told|told in advance"
    r"|will (?:e-?mail|contact|notify|call)|someone will|has been notified"
    r"|support desk, which answers|desk will answer|reach the partner desk",
    re.IGNORECASE,
)


def responses() -> dict[str, str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {
        name: " ".join(variant.get("text", "") for variant in variants)
        for name, variants in domain["responses"].items()
    }


def fact_text(fact_id: str) -> str:
    fact = load_catalogue().fact_by_id[fact_id]
    return f"{fact.title}. {fact.text}"


def test_sign_in_says_how_it_really_works() -> None:
    # (a) Nothing reads a partner-portal session: the page asks for id and passcode.
    text = fact_text("F-SIGN-IN")
    assert not PROMISES.search(text)
    assert "partner id and passcode" in text
    page = (ROOT / "bot" / "static" / "index.html").read_text(encoding="utf-8")
    assert not PROMISES.search(page)
    assert 'id="partner-id"' in page and 'id="passcode"' in page


def test_talk_to_a_person_promises_what_the_live_handoff_does() -> None:
    # (b) The ticket is recorded and the office alerted (its live queue, its Slack
    # channel); a time is named only from the configured office hours, and none without.
    opened, extended = TICKET_OPENED.format(id=12), TICKET_EXTENDED.format(id=12)
    assert "ticket #12" in opened and "alerted the program office" in opened
    assert "ticket #12" in extended and "sees it in its queue" in extended
    assert "shortly" in OFFICE_OPEN
    assert "{when}" in OFFICE_CLOSED and "closed right now" in OFFICE_CLOSED
    assert "can't say when" in NO_HOURS
    for text in (opened, extended, OFFICE_OPEN, OFFICE_CLOSED, NO_HOURS):
        assert "nobody is alerted" not in text.lower()
        assert not PROMISES.search(text)
    help_text = fact_text("F-HUMAN-HELP")
    assert "ticket" in help_text
    assert not PROMISES.search(help_text)


def test_are_you_a_bot_names_what_it_does() -> None:
    # (c) No "partner desk" to reach and no claim that every figure is published.
    reply = responses()["utter_iamabot"]
    assert "a bot" in reply and "ticket for the program office" in reply
    assert "sample data" in reply
    assert "published catalogue" not in reply
    assert not PROMISES.search(reply)


def test_retired_competencies_carry_no_notice_promise() -> None:
    # (d) Nothing sends a notice before a competency is retired or a benefit added.
    for fact_id in ("F-COMPETENCY-RETIREMENT", "F-MORE-BENEFITS"):
        text = fact_text(fact_id)
        assert not PROMISES.search(text), fact_id


@pytest.mark.parametrize(
    "path",
    [
        "domain.yml",
        "knowledge/data/facts.yaml",
        "knowledge/data/tiers.yaml",
        "bot/static/index.html",
        "bot/static/js/app.js",
        "bot/static/js/texts.js",
        "actions/handoff.py",
        "actions/partner.py",
        "actions/knowledge.py",
        "partners/messages.py",
        "bot/routers/actions.py",
    ],
)
def test_no_user_facing_text_promises_what_nothing_does(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    found = PROMISES.findall(text)
    assert not found, f"{path} promises {found}"
