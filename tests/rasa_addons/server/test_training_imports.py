"""rasa_addons.server.training_imports: the serving server never loads TensorFlow.

The server is started as the launcher starts it, on the trained model; it must answer
a parse with the CRF's entities, and take a whole turn, while no TensorFlow library is
mapped into it. The
deferred module itself is checked on a throwaway module: its code runs at the first
read of one of its names, once, and not at import.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from rasa_addons.server.training_imports import DeferredModule, defer
from scripts.launch import wait_for_answer
from tests.ports import closed_port
from tests.rasa_env import ROOT

TOKEN = "test-token-for-the-parse-api"


@pytest.fixture
def counting_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A module ``counted_on_import`` that appends a line to a file each time it runs."""
    runs = tmp_path / "runs.txt"
    (tmp_path / "counted_on_import.py").write_text(
        f"from pathlib import Path\n"
        f"with Path({str(runs)!r}).open('a') as runs:\n"
        f"    runs.write('ran\\n')\n"
        f"ANSWER = 42\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield runs
    sys.modules.pop("counted_on_import", None)


def test_a_deferred_module_runs_at_the_first_read_of_a_name(counting_module: Path) -> None:
    defer("counted_on_import")
    module = importlib.import_module("counted_on_import")
    import counted_on_import  # noqa: F401  # an import statement does not run it either

    assert isinstance(module, DeferredModule)
    assert not counting_module.exists()
    assert module.ANSWER == 42
    from counted_on_import import ANSWER

    assert ANSWER == 42
    assert counting_module.read_text() == "ran\n"
    assert type(module) is type(os)  # an ordinary module from then on


def test_a_deferred_module_missing_a_name_says_so(counting_module: Path) -> None:
    defer("counted_on_import")
    module = importlib.import_module("counted_on_import")
    with pytest.raises(AttributeError):
        _ = module.NOT_THERE
    assert counting_module.read_text() == "ran\n"


def test_deferring_a_module_that_is_not_there_fails() -> None:
    with pytest.raises(ModuleNotFoundError):
        defer("no_such_module_anywhere")


@pytest.fixture(scope="module")
def server(model_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """``python -m rasa_addons.server run`` on the trained model: its pid and address."""
    port = closed_port()
    # Run from an empty folder: Rasa's default endpoints and channels, not the project's.
    log = tmp_path_factory.mktemp("server") / "rasa.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PA_RASA_TOKEN": TOKEN}
    with log.open("wb") as out:
        model = str(Path(model_path).resolve())
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rasa_addons.server",
                "run",
                "--model",
                model,
                "--port",
                str(port),
                "--interface",
                "127.0.0.1",
                "--enable-api",
            ],  # fmt: skip
            cwd=log.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            try:  # /status answers 200 once the model is loaded
                wait_for_answer(
                    f"{url}/status?token={TOKEN}", "Rasa", [process], 180, progress=False
                )
            except RuntimeError as error:
                pytest.fail(f"{error}:\n{log.read_text()[-3000:]}")
            yield process.pid, url
        finally:
            process.terminate()
            process.wait(timeout=30)


def _mapped_files(pid: int) -> set[str]:
    return {
        line.split()[-1]
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
        if len(line.split()) >= 6
    }


def test_the_server_parses_with_its_entities_and_without_tensorflow(
    server: tuple[int, str],
) -> None:
    pid, url = server
    parsed = requests.post(
        f"{url}/model/parse",
        params={"token": TOKEN},
        json={"text": "what does the Security competency require?"},
        timeout=30,
    )
    parsed.raise_for_status()
    assert parsed.json()["intent"]["name"] == "ask_competency"
    assert [(e["entity"], e["value"]) for e in parsed.json()["entities"]] == [
        ("competency", "C-SECURITY")
    ]
    # A whole turn too: the policies predict, the (absent) action server is called.
    turn = requests.post(
        f"{url}/webhooks/rest/webhook",
        json={"sender": "tf-check", "message": "hello"},
        timeout=30,
    )
    assert turn.status_code == 200
    mapped = _mapped_files(pid)
    assert any("onnxruntime" in path for path in mapped)  # the reading is real
    assert not [path for path in mapped if "tensorflow" in path]
