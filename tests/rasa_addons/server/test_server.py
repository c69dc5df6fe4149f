"""rasa_addons.server: the server starts only on the Rasa version its fixes were written for."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import rasa.version

from rasa_addons.server import PINNED_RASA
from tests.rasa_env import ROOT


def _start_server_with_rasa(version: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.rasa_addons.server.other_rasa_version",
            version,
            "run",
            "--help",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_pinned_version_is_the_locked_one_and_the_installed_one() -> None:
    lock = (ROOT / "requirements" / "rasa.lock.txt").read_text()
    assert re.findall(r"^rasa==(\S+)$", lock, re.MULTILINE) == [PINNED_RASA]
    assert rasa.version.__version__ == PINNED_RASA


def test_another_rasa_version_stops_the_server_before_any_fix_is_installed() -> None:
    refused = _start_server_with_rasa("3.6.20")
    assert refused.returncode != 0
    assert f"Rasa {PINNED_RASA}" in refused.stderr
    assert "Rasa 3.6.20" in refused.stderr
    assert "rasa_addons/server/__init__.py" in refused.stderr
    assert "rasa_addons/server/patches.py" in refused.stderr
    assert "fixes installed: no" in refused.stdout


def test_the_pinned_version_starts() -> None:
    started = _start_server_with_rasa(PINNED_RASA)
    assert started.returncode == 0, started.stderr[-2000:]
    assert "fixes installed: yes" in started.stdout
