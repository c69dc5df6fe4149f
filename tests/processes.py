"""Servers the end-to-end tests start as subprocesses: waiting for them, stopping them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scripts.launch import ROOT, child_environment, rasa_command, wait_for_answer
from tests.ports import closed_port


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once ``url`` answers 200; fail the test with the log if the process dies."""
    try:
        wait_for_answer(url, url, [process], 300, progress=False)
    except RuntimeError as error:
        pytest.fail(f"{error}:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process``; kill it if it has not exited after 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def start_rasa(endpoints_yaml: str, folder: Path) -> Iterator[str]:
    """Run one Rasa server, as the launcher does, on the endpoints ``endpoints_yaml``.

    The endpoints file and the server's log (``rasa.log``) go to ``folder``. Yields the
    server's URL once it answers; stops the server on exit.
    """
    # Imported here: tests.conftest imports this module.
    from tests.conftest import model_path

    endpoints = folder / "endpoints.yml"
    endpoints.write_text(endpoints_yaml)
    port = closed_port()  # free now: Rasa will listen on it
    log = folder / "rasa.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            rasa_command(model_path(), port, str(endpoints)),
            cwd=ROOT,
            env=child_environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/", process, log)
        yield url
    finally:
        stop(process)
