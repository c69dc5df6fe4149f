"""scripts.launch and rasa_addons.server: Rasa reads its API token from the environment.

The token once travelled as ``--auth-token=...``: every user of the machine could read
it in ``ps``. The launcher's command lines now carry no token, and the server entry
point hands ``PA_RASA_TOKEN`` to Rasa's own argument parser inside the process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.main import create_app
from scripts.launch import child_environment, rasa_command
from settings import Settings, get_settings
from tests.rasa_env import run_rasa_module


def _parsed(command: list[str], environ: dict[str, str]) -> dict:
    """What Rasa's parser reads from the launcher's command (tests/rasa_side/rasa_arguments.py)."""
    rasa_arguments = command[command.index("run") :]
    result: dict = run_rasa_module(
        "tests.rasa_side.rasa_arguments", json.dumps(rasa_arguments), json.dumps(environ)
    )
    return result


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "--double", "plain_Token-123"])
def test_rasa_reads_the_token_from_the_environment_whatever_its_first_character(
    token: str,
) -> None:
    command = rasa_command("models/some-model.tar.gz", 5099)
    assert not [part for part in command if token in part or "auth-token" in part]

    parsed = _parsed(command, {"PA_RASA_TOKEN": token})

    assert parsed == {"auth_token": token, "port": 5099, "model": "models/some-model.tar.gz"}


def test_rasa_refuses_to_start_its_api_without_a_token_or_with_one_on_the_command_line() -> None:
    command = rasa_command("models/some-model.tar.gz", 5099)
    assert "PA_RASA_TOKEN is empty" in _parsed(command, {})["refused"]
    on_the_line = [*command, "--auth-token=visible-in-ps"]
    refused = _parsed(on_the_line, {"PA_RASA_TOKEN": "secret"})["refused"]
    assert "not --auth-token" in refused


def test_only_the_launcher_seeds_the_sample_partners(monkeypatch: pytest.MonkeyPatch) -> None:
    # A deployment that sets nothing seeds nothing, so no partner has a default passcode ...
    monkeypatch.delenv("PA_SEED_SAMPLE_DATA", raising=False)
    assert Settings(_env_file=None).seed_sample_data is False
    # ... while `make run` (the launcher) is the sample mode, unless told otherwise.
    assert child_environment()["PA_SEED_SAMPLE_DATA"] == "true"
    monkeypatch.setenv("PA_SEED_SAMPLE_DATA", "false")
    assert child_environment()["PA_SEED_SAMPLE_DATA"] == "false"


def test_an_app_started_without_the_sample_mode_has_no_sample_partner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PA_SEED_SAMPLE_DATA", raising=False)
    monkeypatch.setenv("PA_JWT_SECRET", "x" * 40)
    monkeypatch.setenv("PA_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{tmp_path / 'partners.db'}")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as client:
            signed = client.post("/v1/auth/token", data={"username": "P-0001", "password": "demo"})
    finally:
        get_settings.cache_clear()
    assert signed.status_code == 401
