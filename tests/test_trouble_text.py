"""One outage text for every place a user can be told to try again.

The app (``partners.messages``), the Rasa server (``rasa_addons/messages.py``, another
Python environment) and the web page (``bot/static/js/texts.js``) each need the words
at hand; this keeps the three copies equal.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from partners.messages import TROUBLE

ROOT = Path(__file__).resolve().parents[1]


def _python_constant(path: Path, name: str) -> str:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, str)
            return value
    raise AssertionError(f"{name} not found in {path}")


def test_the_rasa_server_and_the_web_page_say_the_same_as_the_app() -> None:
    assert _python_constant(ROOT / "rasa_addons" / "messages.py", "TROUBLE") == TROUBLE
    script = (ROOT / "bot" / "static" / "js" / "texts.js").read_text()
    match = re.search(r'export const TROUBLE = "([^"]*)";', script)
    assert match is not None and match.group(1) == TROUBLE
    assert "minute" in TROUBLE and "rephras" not in TROUBLE
