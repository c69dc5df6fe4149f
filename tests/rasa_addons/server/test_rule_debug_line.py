"""speedups.format_tracker_states: RulePolicy's debug text, built only for a written line.

RulePolicy passes ``Policy.format_tracker_states(states)`` to a structlog debug line
(rasa/core/policies/rule_policy.py lines 1025-1028): with debug logging on, the line
gets Rasa's text, as before; with it off, the dialogue is not formatted at all.
"""

from __future__ import annotations

import functools
import logging

import pytest
from rasa.core.policies.policy import Policy

from rasa_addons.server import patches, speedups

STATES: list[dict] = [
    {},
    {"user": {"intent": "greet"}, "prev_action": {"action_name": "action_listen"}},
    {"user": {"intent": "greet"}, "prev_action": {"action_name": "utter_greet"}},
    {"slots": {"tier": (1.0,)}, "active_loop": {"name": "recommend_form"}},
]
RASA_TEXT = Policy.format_tracker_states(STATES)  # before the patch is installed


@pytest.fixture(autouse=True)
def installed() -> None:
    patches.install(speedups)


def rule_policy_logs(level: int, request: pytest.FixtureRequest) -> None:
    # setLevel, not the attribute: it clears the cache of isEnabledFor's answers.
    logger = logging.getLogger("rasa.core.policies.rule_policy")
    request.addfinalizer(functools.partial(logger.setLevel, logger.level))
    logger.setLevel(level)


def test_rasa_text_when_rule_policy_writes_debug_lines(request: pytest.FixtureRequest) -> None:
    rule_policy_logs(logging.DEBUG, request)
    assert "greet" in RASA_TEXT
    assert Policy.format_tracker_states(STATES) == RASA_TEXT


def test_nothing_formatted_when_debug_is_off(request: pytest.FixtureRequest) -> None:
    rule_policy_logs(logging.INFO, request)
    assert Policy.format_tracker_states(STATES) == speedups.DEBUG_OFF
