"""Fixtures shared by the test packages.

``stack`` starts the real stack once per test session, exactly as ``make run`` does,
for tests/e2e, tests/slack and tests/browser alike (one Rasa start per session: it
costs about 30 s of CPU). Its Slack channel posts to ``fake_slack``, a local fake of
Slack's Web API.

Under CI (``CI`` set) no test may skip: every skip in this suite means a prerequisite
is missing (PostgreSQL, Redis, RabbitMQ, the Rasa environment), and a green run with
those tests skipped would hide them. ``pytest_runtest_makereport`` turns such a skip
into a failure that gives the skip's reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.processes import stop
from tests.rasa_env import skip_as_failure_under_ci

if TYPE_CHECKING:
    from tests.fakes.fake_slack import FakeSlack

pytest_plugins = ["tests.fakes.fake_slack"]

# The Rasa side's tests run in the Rasa environment (`make rasa-test`), not here.
collect_ignore = ["rasa_addons"]

ROOT = Path(__file__).resolve().parents[1]
# `make run`'s ports; PA_TEST_APP_PORT / PA_TEST_RASA_PORT move the test stack elsewhere
# (to run the end-to-end tests beside a running `make run`, or two suites at once).
APP_PORT = int(os.environ.get("PA_TEST_APP_PORT", "8000"))
RASA_PORT = int(os.environ.get("PA_TEST_RASA_PORT", "5005"))
# The demo portal the launcher starts in sample mode (the widget's embedding page).
PORTAL_PORT = int(os.environ.get("PA_TEST_PORTAL_PORT", str(APP_PORT + 1)))
# The program office's Slack channel for handoff notices, in the stack under test.
OFFICE_HANDOFF_CHANNEL = "C0OFFICEHANDOFF"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI, report a skipped test (a missing prerequisite) as failed."""
    outcome = yield
    skip_as_failure_under_ci(outcome.get_result())  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Stack:
    """Addresses of the running servers."""

    app_url: str
    rasa_url: str
    log: Path
    portal_url: str = ""

    @property
    def operator_token(self) -> str:
        """A fresh token of the sample operator (``ops@example.com``, a program manager)."""
        return self.sign_in("ops@example.com", "demo")

    def say(self, sender: str, text: str, **extra: object) -> list[dict]:
        """Send one message through Rasa's internal REST channel; return the bot's replies.

        ``extra`` goes into the request body as it is (what a client might try to
        add: ``metadata``, ``input_channel``).
        """
        body: dict = {"sender": sender, "message": text, **extra}
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=30)
        response.raise_for_status()
        replies: list[dict] = response.json()
        return replies

    def sign_in(self, partner: str = "P-0001", passcode: str = "demo") -> str:
        """Sign in through the app's API (a sample partner, or an operator's e-mail)."""
        response = httpx.post(
            f"{self.app_url}/v1/auth/token", data={"username": partner, "password": passcode}
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def chat(self, text: str, token: str | None = None, session: str | None = None) -> ChatTurn:
        """Send one message the way the web widget does (the app's /v1/chat).

        Starts a chat session first when none is given; signed in with ``token``,
        anonymous without.
        """
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if session is None:
            created = httpx.post(f"{self.app_url}/v1/chat/session", headers=headers)
            created.raise_for_status()
            session = str(created.json()["session"])
        response = httpx.post(
            f"{self.app_url}/v1/chat",
            json={"session": session, "message": text},
            headers=headers,
            timeout=60,
        )
        response.raise_for_status()
        return ChatTurn(session, response.json()["messages"])


@dataclass(frozen=True)
class ChatTurn:
    """The web chat's session handle and the assistant's messages for one turn."""

    session: str
    messages: list[dict]

    @property
    def text(self) -> str:
        """Every text of the answer, one per line."""
        return "\n".join(message.get("text") or "" for message in self.messages)


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
    for port in (APP_PORT, RASA_PORT, PORTAL_PORT):
        if _port_in_use(port):
            pytest.fail(f"port {port} is taken: stop `make run` before running the e2e tests")
    log = tmp_path_factory.mktemp("stack") / "launch.log"
    env = dict(os.environ)
    # The e2e stack gets its own partner database, so tests never touch var/partners.db.
    env["PA_VAR_DIR"] = str(log.parent)
    # The Slack channel is enabled, with test credentials, and talks to the fake Slack.
    env.update(fake_slack.stack_env)
    # Handoff notices go to the office's channel on the same fake Slack.
    env["PA_HANDOFF_SLACK_CHANNEL"] = OFFICE_HANDOFF_CHANNEL
    # Every test signs in from 127.0.0.1, so the whole session shares one address's
    # sign-in allowance (30 a minute in production); tests/bot/test_rate_limits.py tests
    # the limits themselves.
    env["PA_RATE_LIMIT_SIGNIN_PER_ADDRESS"] = "600/minute"
    with log.open("wb") as out:
        launcher = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts" / "launch.py"),
                "--model",
                model_path(),
                "--app-port",
                str(APP_PORT),
                "--rasa-port",
                str(RASA_PORT),
                "--portal-port",
                str(PORTAL_PORT),
            ],  # fmt: skip
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
                f"http://127.0.0.1:{APP_PORT}",
                f"http://127.0.0.1:{RASA_PORT}",
                log,
                f"http://127.0.0.1:{PORTAL_PORT}",
            )
        finally:
            stop(launcher)
