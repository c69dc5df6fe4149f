"""Every action that reads the conversation's history gets all of it from Rasa.

Rasa sends an action call the events from the latest user message on
(rasa_addons/server/action_calls.py), except to the actions named in
``HISTORY_ACTIONS`` there, which get every event. An action module that reads
``tracker.events`` must name only such actions, or its action would see a cut history
and, say, a handoff ticket would lose the transcript.
"""

from __future__ import annotations

import ast
import re

from tests.rasa_env import ROOT

ACTIONS = ROOT / "actions"
ACTION_CALLS = ROOT / "rasa_addons" / "server" / "action_calls.py"


def history_actions() -> set[str]:
    """``HISTORY_ACTIONS`` as written in action_calls.py (a Rasa-side module)."""
    for node in ast.walk(ast.parse(ACTION_CALLS.read_text())):
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "HISTORY_ACTIONS"
            for target in node.targets
        ):
            return {n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant)}
    raise AssertionError("no HISTORY_ACTIONS in action_calls.py")


def test_the_actions_that_read_the_history_are_sent_all_of_it() -> None:
    readers: dict[str, set[str]] = {}
    for module in sorted(ACTIONS.glob("*.py")):
        source = module.read_text()
        if re.search(r"\btracker\.events\b", source):
            readers[module.name] = set(re.findall(r'action_name = "(\w+)"', source))
    assert readers, "no action reads tracker.events: this test checks nothing any more"
    allowed = history_actions()
    for module, names in readers.items():
        assert names <= allowed, f"{module} reads tracker.events: add {names - allowed}"
