"""Run code in the Rasa environment (``.venv-rasa``, Python 3.10) from the tests.

The tests run in the app environment, where Rasa is not installed; what needs Rasa's
own classes runs as a script in the Rasa environment and prints one JSON line.
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


def rasa_env_variables() -> dict[str, str]:
    """Environment for a Rasa-environment subprocess: no telemetry, the repo importable."""
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}


def run_in_rasa_env(script: str, *args: str) -> Any:
    """Run ``script`` with ``args`` in the Rasa environment; return its last line as JSON."""
    if not RASA_PYTHON.exists():
        pytest.skip("no .venv-rasa: run the tests through `make test`")
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
