"""The e2e tests' fixtures live in tests/conftest.py, shared with tests/slack and tests/browser.

The names below stay importable from here for the tests that import them.
"""

from __future__ import annotations

from tests.conftest import APP_PORT, RASA_PORT, ROOT, Stack, _model_path, _port_in_use

__all__ = ["APP_PORT", "RASA_PORT", "ROOT", "Stack", "_model_path", "_port_in_use"]
