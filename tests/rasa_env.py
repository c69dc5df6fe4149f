"""Run code in the Rasa environment (``.venv-rasa``, Python 3.10) from the app's tests.

The tests of rasa_addons/ alone are ordinary pytest files in tests/rasa_addons/, run in
the Rasa environment by ``make rasa-test``. What is here serves the app's tests that
need both sides (an action's output rendered by the Slack channel, the launcher's
arguments parsed by Rasa, the NLU pipeline trained from the app's data): they run in
the app environment, where Rasa is not installed, and hand the Rasa part to a module
run in the Rasa environment (``run_rasa_module``; most live in tests/rasa_side/) that
reports its result as JSON (``report``). Those modules are ordinary code, linted and
type-checked in the Rasa environment (``make typecheck``).

Without ``.venv-rasa`` these tests skip on a developer's machine, but fail under
``make test`` (which builds the environment and sets ``PA_TEST_RASA_ENV=required``) and
under CI: a green run must not hide Rasa's tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
# Where a module run by ``run_rasa_module`` writes its result. Not its standard output,
# which Rasa's structured log shares: a megabyte of JSON there once came back cut at
# 128 KB (exit status 0) on a loaded machine.
RESULT_VARIABLE = "PA_RASA_MODULE_RESULT"


def report(result: Any) -> None:
    """Hand ``result`` (JSON) back to ``run_rasa_module``; print it when run by hand."""
    text = json.dumps(result)
    path = os.environ.get(RESULT_VARIABLE)
    if path:
        Path(path).write_text(text, encoding="utf-8")
    else:
        print(text)


def running_in_ci() -> bool:
    """Whether the tests run under CI (``CI`` set, as CI services do), where nothing may skip."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_as_failure_under_ci(report: pytest.TestReport) -> None:
    """Under CI, turn a skipped test's report (a missing prerequisite) into a failure."""
    if not report.skipped or hasattr(report, "wasxfail") or not running_in_ci():
        return
    skipped = report.longrepr
    reason = skipped[2] if isinstance(skipped, tuple) else str(skipped)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = f"skipped under CI, where every prerequisite must be present: {reason}"


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


def run_rasa_module(module: str, *args: str) -> Any:
    """Run ``python -m module args`` in the Rasa environment; return what it ``report``-ed.

    Args:
        module: A module run in the Rasa environment, e.g. ``tests.rasa_side.slack_blocks``.
        args: Its command-line arguments.

    """
    require_rasa_env()
    with tempfile.TemporaryDirectory() as folder:
        result = Path(folder) / "result.json"
        done = subprocess.run(
            [str(RASA_PYTHON), "-m", module, *args],
            cwd=ROOT,
            env={**rasa_env_variables(), RESULT_VARIABLE: str(result)},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not result.is_file():
            pytest.fail(f"{module} failed in the Rasa environment:\n{done.stderr[-3000:]}")
        return json.loads(result.read_text(encoding="utf-8"))
