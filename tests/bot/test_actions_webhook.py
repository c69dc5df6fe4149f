"""The action webhook Rasa calls, through FastAPI's TestClient (the real app and index)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.bot.web_fixtures import FROM_RASA, WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.knowledge.building import ensure_index
from tests.partners.fixtures import FIXTURES

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module", name="client")
def started_app(web: WebApp) -> Iterator[TestClient]:
    """The app with its lifespan run (the action executor and the index are loaded then)."""
    ensure_index()
    with TestClient(web.client.app) as client:
        yield client


def action_call(tracker_fixture: str, action: str) -> dict[str, Any]:
    tracker: dict[str, Any] = json.loads((FIXTURES / f"{tracker_fixture}.json").read_text())
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    return {
        "next_action": action,
        "sender_id": tracker["sender_id"],
        "tracker": tracker,
        "domain": domain,
    }


def test_an_action_call_gets_the_answer_and_its_events(client: TestClient) -> None:
    call = action_call("ask_competency", "action_answer_question")
    # A long conversation's history, with text beyond ASCII, as Rasa sends it.
    history = call["tracker"]["events"]
    call["tracker"]["events"] = history + [
        {"event": "bot", "text": f"réponse n° {n} — ok", "timestamp": 1764400000 + n}
        for n in range(300)
    ]
    response = client.post(
        "/webhook", content=json.dumps(call, ensure_ascii=False), headers=FROM_RASA
    )
    assert response.status_code == 200, response.text
    reply = response.json()
    assert "(C-SECURITY) is a competency" in reply["responses"][0]["text"]
    slots = {e["name"]: e["value"] for e in reply["events"] if e["event"] == "slot"}
    assert slots["competency"] == "C-SECURITY"


@pytest.mark.parametrize("body", ["{not json", "", "\xff\xfe", "[1, 2]", '"a string"', "NaN"])
def test_a_body_that_is_not_an_action_call_gets_400_with_a_reason(
    client: TestClient, body: str
) -> None:
    response = client.post("/webhook", content=body.encode("latin-1"), headers=FROM_RASA)
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid body request"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Action-Secret": ""}, {"X-Action-Secret": "guess"}, {"X-Action-Secret-X": "x"}],
)
def test_a_call_without_rasas_secret_is_refused_before_any_action_runs(
    client: TestClient, headers: dict[str, str]
) -> None:
    # What an attacker reaching the app would try: run a partner action with a made-up
    # tracker. Without the shared secret nothing runs, and the reason is given.
    call = action_call("ask_competency", "action_answer_question")
    response = client.post("/webhook", content=json.dumps(call), headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "missing or wrong X-Action-Secret header"}
    assert "responses" not in response.text
    listing = client.get("/actions", headers=headers)
    assert listing.status_code == 401


def test_rasa_may_list_the_actions(client: TestClient) -> None:
    listing = client.get("/actions", headers=FROM_RASA)
    assert listing.status_code == 200
    assert {"name": "action_answer_question"} in listing.json()


def test_a_body_over_the_limit_gets_413_without_being_run(client: TestClient) -> None:
    limit = client.app.state.settings.action_body_limit  # type: ignore[attr-defined]
    call = action_call("ask_competency", "action_answer_question")
    call["tracker"]["events"].append({"event": "bot", "text": "x" * limit})
    response = client.post("/webhook", content=json.dumps(call), headers=FROM_RASA)
    assert response.status_code == 413
    assert str(limit) in response.json()["error"]
    # The same call streamed without a length (chunked) is refused as well.
    body = json.dumps(call).encode()
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    streamed = client.post("/webhook", content=chunks, headers=FROM_RASA)
    assert streamed.status_code == 413


def test_an_app_without_a_configured_secret_runs_no_action(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(settings, "action_secret", "")
    call = action_call("ask_competency", "action_answer_question")
    response = client.post("/webhook", content=json.dumps(call), headers={"X-Action-Secret": ""})
    assert response.status_code == 503
    assert response.json() == {"error": "the action webhook is not configured"}
