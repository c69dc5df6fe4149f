"""The cluster under test: one app and two Rasa servers on the production endpoints."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
from pathlib import Path

from scripts.launch import (
    ROOT,
    THREAD_LIMITS,
    app_command,
    local_services_environment,
    rasa_command,
    wait_for_answer,
)

APP_PORT = 18100
RASA_PORTS = (15105, 15106)
REDIS_DB = 3
STARTUP_TIMEOUT_S = 300.0


class Cluster:
    """One app and two Rasa servers on the production endpoints, logs under a folder."""

    def __init__(self, folder: Path, run_id: str) -> None:
        """Prepare the environment of a cluster whose private names contain ``run_id``."""
        self.folder = folder
        self.trackers_db = f"pa_faults_{run_id}_trackers"
        self.partners_db = f"pa_faults_{run_id}_partners"
        self.queue = f"pa_faults_{run_id}"
        self.app_url = f"http://127.0.0.1:{APP_PORT}"
        self.rasa_urls = [f"http://127.0.0.1:{port}" for port in RASA_PORTS]
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.env = {
            **os.environ,
            **{variable: "1" for variable in THREAD_LIMITS},
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
            "PYTHONUNBUFFERED": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            "PA_VAR_DIR": str(folder),
            "PA_JWT_SECRET": secrets.token_urlsafe(32),
            "PA_RASA_TOKEN": secrets.token_urlsafe(32),
            "PA_ACTION_SECRET": secrets.token_urlsafe(32),
            "PA_RASA_URL": ",".join(self.rasa_urls),
            "PA_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.partners_db}",
            "PA_SEED_SAMPLE_DATA": "true",
            # Rate limits shared through Redis, as in production; every simulated user
            # comes from 127.0.0.1, so the limits per address are off.
            "PA_RATE_LIMIT_STORAGE_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "PA_RATE_LIMIT_SIGNIN_PER_ADDRESS": "",
            "PA_RATE_LIMIT_CHAT_PER_ADDRESS": "",
            "PA_RATE_LIMIT_API_PER_ADDRESS": "",
            "PA_ACTION_ENDPOINT_URL": f"{self.app_url}/webhook",
            **local_services_environment(
                queue=self.queue,
                redis_key_prefix=f"pafaults{run_id}",
                trackers_db=self.trackers_db,
                redis_db=REDIS_DB,
            ),
        }

    def start(self, model: str) -> None:
        """Start the app and both Rasa servers; return once all three answer."""
        self._spawn("app", app_command(APP_PORT))
        for index in range(len(RASA_PORTS)):
            self.start_rasa(index, model, wait=False)
        self.wait_ready("app", f"{self.app_url}/health")
        for index, url in enumerate(self.rasa_urls):
            self.wait_ready(f"rasa-{index}", f"{url}/")

    def start_rasa(self, index: int, model: str, *, wait: bool = True) -> None:
        """Start Rasa server ``index`` (again)."""
        command = rasa_command(model, RASA_PORTS[index], "deploy/endpoints.production.yml")
        self._spawn(f"rasa-{index}", command)
        if wait:
            self.wait_ready(f"rasa-{index}", f"{self.rasa_urls[index]}/")

    def kill_rasa(self, index: int) -> None:
        """Kill Rasa server ``index`` without warning (SIGKILL)."""
        process = self.processes[f"rasa-{index}"]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def _spawn(self, name: str, command: list[str]) -> None:
        with (self.folder / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self, name: str, url: str) -> None:
        """Return once ``url`` answers 200; raise if the process exits or never answers."""
        try:
            wait_for_answer(url, name, [self.processes[name]], STARTUP_TIMEOUT_S, progress=False)
        except RuntimeError as error:
            raise RuntimeError(f"{error}; see {self.folder / name}.log") from None

    def stop(self) -> None:
        """Stop every process of the cluster (SIGTERM, then SIGKILL after 30 s)."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
