"""Fixtures shared by the test packages.

``stack`` starts the real stack once per test session, exactly as ``make run`` does,
for tests/e2e, tests/slack and tests/browser alike (one Rasa start per session: it
costs about 30 s of CPU). Its Slack channel posts to ``fake_slack``, a local fake of
Slack's Web API.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.processes import stop

if TYPE_CHECKING:
    from tests.fakes.fake_slack import FakeSlack

pytest_plugins = ["tests.fakes.fake_slack"]

ROOT = Path(__file__).resolve().parents[1]
APP_PORT = 8000
RASA_PORT = 5005


@dataclass(frozen=True)
class Stack:
    """Addresses of the running servers."""

    app_url: str
    rasa_url: str
    log: Path
    operator_token: str

    def say(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        """Send one message through Rasa's REST channel and return the bot's replies."""
        body: dict = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=30)
        response.raise_for_status()
        replies: list[dict] = response.json()
        return replies


def model_path() -> str:
    """The trained model under test: ``PA_TEST_MODEL`` (set by make test) or the newest."""
    explicit = os.environ.get("PA_TEST_MODEL")
    if explicit:
        return explicit
    models = sorted((ROOT / "models").glob("partner-assistant-*.tar.gz"), key=os.path.getmtime)
    if not models:
        pytest.fail("no trained model in models/: run the tests through `make test`")
    return str(models[-1])


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, fake_slack: FakeSlack) -> Iterator[Stack]:
    """Run scripts/launch.py (the launcher behind ``make run``) until the session ends."""
    for port in (APP_PORT, RASA_PORT):
        if _port_in_use(port):
            pytest.fail(f"port {port} is taken: stop `make run` before running the e2e tests")
    log = tmp_path_factory.mktemp("stack") / "launch.log"
    env = dict(os.environ)
    # The e2e stack gets its own partner database, so tests never touch var/partners.db.
    env["PA_VAR_DIR"] = str(log.parent)
    # The Slack channel is enabled, with test credentials, and talks to the fake Slack.
    env.update(fake_slack.stack_env)
    env["PA_OPERATOR_TOKEN"] = operator_token = f"operator-{uuid.uuid4().hex}"
    with log.open("wb") as out:
        launcher = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "launch.py"), "--model", model_path()],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 300
            while "is running" not in log.read_text():
                if launcher.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the stack did not start:\n{log.read_text()[-4000:]}")
                time.sleep(1)
            yield Stack(
                f"http://127.0.0.1:{APP_PORT}", f"http://127.0.0.1:{RASA_PORT}", log, operator_token
            )
        finally:
            stop(launcher)
