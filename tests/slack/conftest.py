from __future__ import annotations

import pytest

from tests.conftest import Stack
from tests.fakes.fake_slack import FakeSlack
from tests.slack.slack_events import SlackSender


@pytest.fixture(scope="session")
def slack(stack: Stack, fake_slack: FakeSlack) -> SlackSender:
    """Signs requests with the secret the stack's Slack channel was started with."""
    return SlackSender(stack.rasa_url, fake_slack.signing_secret)
