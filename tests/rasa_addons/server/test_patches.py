"""rasa_addons.server.patches: the list of what the server replaces in Rasa is true.

Each entry names Rasa 3.6.21 code by file and lines: those lines of the installed Rasa
must be the replaced function (or, for a name, use it), so that the list stays a
correct map for whoever moves to another version. ``apply()`` installs every entry,
or none when the action timeout is invalid.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rasa
import rasa.core.processor

from rasa_addons.server import action_failures, patches
from rasa_addons.server.patches import PATCHES, Patch

RASA_SOURCE = Path(rasa.__file__).parent


def replaced_lines(patch: Patch) -> str:
    """The lines of Rasa's source that ``patch.replaces`` names."""
    found = re.fullmatch(r"rasa/(\S+) lines (\d+)-(\d+)( .*)?", patch.replaces)
    assert found, patch.replaces
    path, first, last = found.group(1), int(found.group(2)), int(found.group(3))
    lines = (RASA_SOURCE / path).read_text().splitlines()
    return "\n".join(lines[first - 1 : last])


def installed(patch: Patch) -> object:
    return getattr(patch.owner, patch.attribute)


@pytest.mark.parametrize("patch", PATCHES, ids=[p.target for p in PATCHES])
def test_each_entry_names_the_rasa_code_it_replaces(patch: Patch) -> None:
    code = replaced_lines(patch)
    assert patch.why
    if patch.owner is rasa.core.processor:  # a name that Rasa's code there uses
        assert re.search(rf"\b{patch.attribute}\b", code)
    else:  # a function: the lines are its definition
        assert re.match(rf"\s*(@staticmethod\s+)?(async )?def {patch.attribute}\(", code)


def test_every_target_is_replaced_once() -> None:
    targets = [patch.target for patch in PATCHES]
    assert len(set(targets)) == len(targets)
    assert "rasa.core.actions.action.RemoteAction.run" in targets
    assert "rasa.core.processor.DaskGraphRunner" in targets


def test_an_invalid_action_timeout_installs_nothing() -> None:
    assert not any(installed(patch) is patch.replacement for patch in PATCHES)
    with pytest.raises(action_failures.ActionTimeoutError):
        patches.apply({"PA_ACTION_TIMEOUT": "600"})
    assert not any(installed(patch) is patch.replacement for patch in PATCHES)


def test_apply_installs_every_entry() -> None:
    patches.apply({"PA_ACTION_TIMEOUT": "5"})
    patches.apply({"PA_ACTION_TIMEOUT": "5"})  # again: idempotent
    assert [installed(patch) is patch.replacement for patch in PATCHES] == [True] * len(PATCHES)
