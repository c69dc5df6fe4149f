"""Run code in the Rasa environment (``.venv-rasa``, Python 3.10) from the tests.

The tests run in the app environment, where Rasa is not installed; what needs Rasa's
own classes runs as a script in the Rasa environment and prints one JSON line.

Without ``.venv-rasa`` these tests skip on a developer's machine, but fail under
``make test`` (which builds the environment and sets ``PA_TEST_RASA_ENV=required``) and
under CI: a green run must not hide Rasa's tests.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def running_in_ci() -> bool:
    """Whether the tests run under CI (``CI`` set, as CI services do), where nothing may skip."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_rasa_env() -> None:
    """Skip the test without ``.venv-rasa``; fail it instead under ``make test`` or CI."""
    if RASA_PYTHON.exists():
        return
    reason = "no .venv-rasa: run the tests through `make test`"
    if running_in_ci() or os.environ.get("PA_TEST_RASA_ENV") == "required":
        pytest.fail(f"{reason} (the Rasa environment is required here)")
    pytest.skip(reason)


def rasa_env_variables() -> dict[str, str]:
    """Environment for a Rasa-environment subprocess: no telemetry, the repo importable."""
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}


def run_in_rasa_env(script: str, *args: str) -> Any:
    """Run ``script`` with ``args`` in the Rasa environment; return its last line as JSON."""
    require_rasa_env()
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", script, *args],
        cwd=ROOT,
        env=rasa_env_variables(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"the Rasa-environment script failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
