"""The action webhook under random input (Hypothesis): never a server error, never silence.

Rasa is the webhook's only legitimate caller, but a bug in Rasa, a hand-edited tracker
or a stranger on the network can send anything. Whatever arrives, the answer is a
4xx with a reason or an action's answer (an apology when the action fails), never a
5xx; and without Rasa's shared secret nothing is run, whatever the body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partners.db import create_db_engine
from partners.prestart import init_db
from tests.bot.test_rate_limits import app_with
from tests.bot.web_fixtures import FROM_RASA
from tests.knowledge.building import ensure_index
from tests.partners.fixtures import FIXTURES, Store, action_call, store_settings

ROOT = Path(__file__).resolve().parents[2]
BODY_LIMIT = 256 * 1024  # this app's PA_ACTION_BODY_LIMIT
# What the webhook may answer: rasa-sdk's statuses, 401 (no secret) and 413 (too large).
ANSWERS = {200, 400, 401, 404, 413, 449}
# The fixtures that are whole action calls (the others are bare trackers).
FIXTURE_NAMES = sorted(
    path.stem for path in FIXTURES.glob("*.json") if '"tracker"' in path.read_text()
)
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
ENTITY_NAMES = list(DOMAIN["entities"])
SLOT_NAMES = list(DOMAIN["slots"])

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # the same calls every run: a failure is a finding, not luck
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app with its lifespan run (action executor, index), over the seeded store."""
    ensure_index()
    folder = tmp_path_factory.mktemp("webhook-fuzz-store")
    config = store_settings(f"sqlite:///{folder / 'partners.db'}", folder)
    engine = init_db(config, engine=create_db_engine(config.effective_database_url))
    store = Store(config, engine, None, folder / "partners.db")  # type: ignore[arg-type]
    with app_with(store, action_body_limit=str(BODY_LIMIT)) as app, TestClient(app) as http:
        yield http
    engine.dispose()


@pytest.fixture(scope="module")
def action_names(client: TestClient) -> list[str]:
    listing = client.get("/actions", headers=FROM_RASA)
    assert listing.status_code == 200
    return [item["name"] for item in listing.json()]


def _names_an_action(body: bytes) -> bool:
    try:
        call = json.loads(body)
    except ValueError:
        return False
    return isinstance(call, dict) and bool(call.get("next_action"))


def _assert_answered(response: Any, sent: bytes) -> None:
    """A documented status with a JSON body that says what happened."""
    assert response.status_code in ANSWERS, (response.status_code, response.text[:500])
    body = response.json()
    if response.status_code == 200 and body is None:
        # rasa-sdk's protocol: a call that names no action runs nothing and gets null.
        assert not _names_an_action(sent), response.text
    elif response.status_code == 200:
        assert isinstance(body["events"], list) and isinstance(body["responses"], list)
        assert body["events"] or body["responses"], "an action answered with nothing"
    else:
        assert isinstance(body["error"], str) and body["error"]


@FUZZ
@given(body=st.binary(max_size=2000) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_body_gets_an_answer_not_a_server_error(client: TestClient, body: bytes) -> None:
    _assert_answered(client.post("/webhook", content=body, headers=FROM_RASA), body)


@st.composite
def action_calls(draw: st.DrawFn, action_names: list[str]) -> dict[str, Any]:
    """A real tracker fixture with random changes, for a real or made-up action."""
    changes: dict[str, Any] = {
        "next_action": draw(st.sampled_from(action_names) | st.text(max_size=30)),
    }
    if draw(st.booleans()):
        changes["text"] = draw(st.text(max_size=200) | st.sampled_from(["/request_human", ""]))
    if draw(st.booleans()):
        entity = st.fixed_dictionaries(
            {"entity": st.sampled_from(ENTITY_NAMES) | st.text(max_size=10), "value": json_values}
        )
        changes["entities"] = draw(st.lists(entity, max_size=3))
    if draw(st.booleans()):
        names = st.sampled_from(SLOT_NAMES) | st.text(max_size=10)
        changes["slots"] = draw(st.dictionaries(names, json_values, max_size=4))
    if draw(st.booleans()):
        channels = st.sampled_from(["rest", "slack", "socketio", "cmdline"]) | st.text(max_size=10)
        changes["input_channel"] = draw(channels)
    if draw(st.booleans()):
        changes["metadata"] = draw(
            st.dictionaries(
                st.sampled_from(["slack_user_id", "slack_team_id", "token"]) | st.text(max_size=8),
                json_values,
                max_size=3,
            )
        )
    call = action_call(draw(st.sampled_from(FIXTURE_NAMES)), **changes)
    call.setdefault("domain", DOMAIN)
    # Now and then, one part of the call is replaced by anything at all, or dropped.
    if draw(st.booleans()):
        part = draw(st.sampled_from(["tracker", "domain", "next_action", "sender_id", "version"]))
        if draw(st.booleans()):
            call.pop(part, None)
        else:
            call[part] = draw(json_values)
    return call


def test_any_action_call_gets_an_answer_not_a_server_error(
    client: TestClient, action_names: list[str]
) -> None:
    @FUZZ
    @given(call=action_calls(action_names))
    def check(call: dict[str, Any]) -> None:
        body = json.dumps(call).encode()
        _assert_answered(client.post("/webhook", content=body, headers=FROM_RASA), body)

    check()


@FUZZ
@given(
    body=st.binary(max_size=500),
    secret=st.none()
    | st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=40),
)
def test_without_rasas_secret_nothing_runs_whatever_is_sent(
    client: TestClient, body: bytes, secret: str | None
) -> None:
    headers = {} if secret is None else {"X-Action-Secret": secret}
    response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "missing or wrong X-Action-Secret header"}


@settings(FUZZ, max_examples=10)
@given(extra=st.integers(min_value=1, max_value=BODY_LIMIT))
def test_a_call_over_the_body_limit_gets_413(client: TestClient, extra: int) -> None:
    call = action_call("partner_tier_status")
    call["tracker"]["events"].append({"event": "bot", "text": "x" * (BODY_LIMIT + extra)})
    response = client.post("/webhook", content=json.dumps(call), headers=FROM_RASA)
    assert response.status_code == 413
    assert str(BODY_LIMIT) in response.json()["error"]
