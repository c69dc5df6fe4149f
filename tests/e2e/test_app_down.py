"""A Rasa server whose app (the action server) is down apologises instead of going silent.

One Rasa server is started as the launcher starts it, with an action endpoint where
nothing listens. Rasa 3.6 on its own logs the failed call and sends the partner
nothing; with rasa_addons/server/action_failures.py the partner gets an apology, and what
needs no action (a greeting) still works.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from partners.messages import TROUBLE
from tests.ports import closed_port
from tests.processes import start_rasa

pytestmark = pytest.mark.e2e

APOLOGY = TROUBLE


@pytest.fixture(scope="module")
def rasa_without_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Yield the URL and log of a Rasa server whose action endpoint is closed."""
    folder = tmp_path_factory.mktemp("app-down")
    endpoints = (
        f"action_endpoint:\n  url: http://127.0.0.1:{closed_port()}/webhook\n"
        "tracker_store:\n  type: rasa_addons.stores.tracker_store.SQLiteTrackerStore\n"
        f"  db: {folder / 'trackers.db'}\n"
    )
    with start_rasa(endpoints, folder) as url:
        yield url, folder / "rasa.log"


def _say(url: str, sender: str, text: str) -> list[str]:
    response = httpx.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    response.raise_for_status()
    return [reply.get("text", "") for reply in response.json()]


def test_a_question_for_the_app_gets_an_apology_and_a_log_line(
    rasa_without_app: tuple[str, Path],
) -> None:
    url, log = rasa_without_app
    replies = _say(url, "app-down-1", "what does the Security competency require?")
    assert replies == [APOLOGY]
    assert "custom action 'action_answer_question' failed" in log.read_text()


def test_what_needs_no_action_still_works_and_the_conversation_goes_on(
    rasa_without_app: tuple[str, Path],
) -> None:
    url, _ = rasa_without_app
    assert _say(url, "app-down-2", "what does the Security competency require?") == [APOLOGY]
    greeting = _say(url, "app-down-2", "hello")
    assert greeting and APOLOGY not in greeting
    assert "Hi" in greeting[0] or "Hello" in greeting[0]
