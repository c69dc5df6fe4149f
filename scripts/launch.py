"""Start the Rasa server and the app process, wait until both answer, and supervise them.

``make run`` calls this after setting up the environments, building the index and
training the model. In sample mode it also starts the demo partner portal
(scripts/demo_portal.py, on the app's port + 1) and points the app's portal sign-in and
widget allowlist at it. Ctrl-C (or SIGTERM) stops every process it started; if one
process dies, the others are stopped too and the launcher exits non-zero.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = ROOT / "var" / "secrets.env"
GENERATED_SECRETS = ("PA_JWT_SECRET", "PA_RASA_TOKEN", "PA_ACTION_SECRET")
THREAD_LIMITS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip().strip('"')
    return values


def child_environment() -> dict[str, str]:
    """Return the environment for both processes: os.environ, then .env, then local secrets.

    Secrets missing from the environment and ``.env`` are generated once into
    ``var/secrets.env`` (mode 0600), so restarts keep tokens and sessions valid.
    """
    env = dict(os.environ)
    for key, value in _read_env_file(ROOT / ".env").items():
        env.setdefault(key, value)
    stored = _read_env_file(SECRETS_FILE)
    missing = [key for key in GENERATED_SECRETS if not env.get(key) and not stored.get(key)]
    if missing:
        SECRETS_FILE.parent.mkdir(parents=True, exist_ok=True)
        stored.update({key: secrets.token_urlsafe(32) for key in missing})
        SECRETS_FILE.write_text("".join(f"{k}={v}\n" for k, v in stored.items()))
        SECRETS_FILE.chmod(0o600)
        print(f"==> generated {', '.join(missing)} into {SECRETS_FILE.relative_to(ROOT)}")
    for key, value in stored.items():
        if not env.get(key):
            env[key] = value
    # The launcher (`make run`) is the sample mode: the fictitious partners are seeded
    # (P-0001 / demo). A deployment starts the servers itself and seeds nothing.
    env.setdefault("PA_SEED_SAMPLE_DATA", "true")
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Each server works on one message at a time per process: one BLAS/OpenMP thread
    # each. More threads only contend for the cores (docs/benchmarks.md).
    for threads_variable in THREAD_LIMITS:
        env.setdefault(threads_variable, "1")
    # Rasa 3.6's dependencies print pages of deprecation warnings at start-up.
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    return env


def local_services_environment(
    *,
    queue: str,
    redis_key_prefix: str,
    trackers_db: str = "test",
    redis_port: int = 6379,
    redis_db: int = 1,
) -> dict[str, str]:
    """Return the variables of deploy/endpoints.production.yml for this machine's services.

    PostgreSQL (trust authentication), Redis and RabbitMQ (guest) on their standard
    local ports, as the production-profile tests and the fault suite run them; each
    caller names its own queue and lock-key prefix so runs do not mix.
    """
    return {
        "PA_TRACKER_DB_HOST": "127.0.0.1",
        "PA_TRACKER_DB_PORT": "5432",
        "PA_TRACKER_DB_NAME": trackers_db,
        "PA_TRACKER_DB_USER": "postgres",
        "PA_TRACKER_DB_PASSWORD": "",
        "PA_REDIS_HOST": "127.0.0.1",
        "PA_REDIS_PORT": str(redis_port),
        "PA_REDIS_DB": str(redis_db),
        "PA_REDIS_PASSWORD": "",
        "PA_REDIS_KEY_PREFIX": redis_key_prefix,
        "PA_RABBITMQ_HOST": "127.0.0.1",
        "PA_RABBITMQ_PORT": "5672",
        "PA_RABBITMQ_USER": "guest",
        "PA_RABBITMQ_PASSWORD": "guest",
        "PA_RABBITMQ_QUEUE": queue,
    }


def wait_for_answer(
    url: str,
    name: str,
    processes: list[subprocess.Popen[bytes]],
    timeout: float,
    *,
    progress: bool = True,
) -> None:
    """Return once ``url`` answers 200; with ``progress``, print dots meanwhile.

    Raises:
        RuntimeError: One of ``processes`` exited, or ``timeout`` seconds passed.

    """
    deadline = time.monotonic() + timeout
    dots = 0
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{name}: a process exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    if progress:
                        print(f"\n==> {name} ready at {url}", flush=True)
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        dots += 1
        if progress and dots % 5 == 0:
            print(".", end="", flush=True)
        time.sleep(0.5)
    raise RuntimeError(f"{name} did not answer at {url} within {timeout:.0f} s")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def app_command(port: int) -> list[str]:
    """Command line of one app process (uvicorn serving ``bot.main:app``)."""
    return [
        str(ROOT / ".venv" / "bin" / "python"), "-m", "uvicorn", "bot.main:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip


def rasa_command(
    model: str, port: int, endpoints: str = "endpoints.yml", *, with_fixes: bool = True
) -> list[str]:
    """Command line of one Rasa server with the REST and Slack channels and its HTTP API.

    The API token is not on the command line, where ``ps`` would show it to every user
    of the machine: ``rasa_addons.server`` reads it from ``PA_RASA_TOKEN`` in its
    environment. ``with_fixes`` runs Rasa through ``rasa_addons.server`` (Rasa's own
    command line with our fixes; run from the repository root); ``False`` runs the
    plain ``rasa`` command, as the benchmark's stock bot does (then without a token).
    """
    program = (
        [str(ROOT / ".venv-rasa" / "bin" / "python"), "-m", "rasa_addons.server"]
        if with_fixes
        else [str(ROOT / ".venv-rasa" / "bin" / "rasa")]
    )
    return [
        *program, "run",
        "--model", model, "--endpoints", endpoints, "--credentials", "credentials.yml",
        "--interface", "127.0.0.1", "--port", str(port), "--enable-api",
    ]  # fmt: skip


def portal_command(port: int, assistant_url: str, env: dict[str, str]) -> list[str]:
    """Command line of the demo portal (sample mode), signing as the app expects."""
    return [
        str(ROOT / ".venv" / "bin" / "python"), "-m", "scripts.demo_portal",
        "--port", str(port), "--assistant-url", assistant_url,
        "--issuer", env["PA_PORTAL_ISSUER"], "--audience", env["PA_PORTAL_AUDIENCE"],
    ]  # fmt: skip


def demo_portal_environment(env: dict[str, str], portal_url: str) -> None:
    """Point the app at the demo portal: its JWKS, issuer, audience, and widget origin.

    Only where the environment (or ``.env``) does not name a portal already; an empty
    value (``.env.example`` copied as it is) counts as none.
    """
    demo = {
        "PA_PORTAL_JWKS_URL": f"{portal_url}/.well-known/jwks.json",
        "PA_PORTAL_ISSUER": portal_url,
        "PA_PORTAL_AUDIENCE": "partner-assistant",
        "PA_WIDGET_ALLOWED_ORIGINS": portal_url,
    }
    for key, value in demo.items():
        if not env.get(key, "").strip():
            env[key] = value


def main(argv: list[str] | None = None) -> int:
    """Start the servers and block until interrupted or one of them dies."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="trained Rasa model (.tar.gz)")
    parser.add_argument("--app-port", type=int, default=8000)
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument(
        "--portal-port",
        type=int,
        help="the demo portal's, in sample mode (default: the app's port + 1, so 8001)",
    )
    parser.add_argument("--endpoints", default="endpoints.yml", help="Rasa endpoints file")
    parser.add_argument("--timeout", type=float, default=240, help="seconds to wait per server")
    args = parser.parse_args(argv)

    env = child_environment()
    env["PA_PORT"] = str(args.app_port)
    env["PA_RASA_URL"] = f"http://127.0.0.1:{args.rasa_port}"
    env["PA_ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{args.app_port}/webhook"
    env.setdefault("PA_VAR_DIR", str(ROOT / "var"))  # endpoints.yml keeps trackers there
    Path(env["PA_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    app_url = f"http://127.0.0.1:{args.app_port}"
    # Sample mode shows the widget embedded in a demo portal on another origin.
    portal_port = args.portal_port or args.app_port + 1
    portal_url = f"http://127.0.0.1:{portal_port}"
    sample_mode = env["PA_SEED_SAMPLE_DATA"].strip().lower() in ("1", "true", "yes", "on")
    if sample_mode:
        demo_portal_environment(env, portal_url)
    app_cmd = app_command(args.app_port)
    rasa_cmd = rasa_command(args.model, args.rasa_port, args.endpoints)
    processes: list[subprocess.Popen[bytes]] = []

    def _terminate(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        print("==> starting the app (actions, API, web page)", flush=True)
        processes.append(subprocess.Popen(app_cmd, cwd=ROOT, env=env, start_new_session=True))
        print("==> starting Rasa (loading the model takes a few seconds)", flush=True)
        processes.append(subprocess.Popen(rasa_cmd, cwd=ROOT, env=env, start_new_session=True))
        if sample_mode:
            print("==> starting the demo portal (sample)", flush=True)
            portal_cmd = portal_command(portal_port, app_url, env)
            processes.append(
                subprocess.Popen(portal_cmd, cwd=ROOT, env=env, start_new_session=True)
            )
            wait_for_answer(f"{portal_url}/health", "demo portal", processes, args.timeout)
        wait_for_answer(f"{app_url}/health", "app", processes, args.timeout)
        wait_for_answer(f"http://127.0.0.1:{args.rasa_port}/", "Rasa", processes, args.timeout)
        portal_line = (
            f"\nThe demo partner portal (sample) embeds it: open {portal_url}/"
            if sample_mode
            else ""
        )
        print(
            f"\nPartner Assistant is running: open {app_url}/{portal_line}\nPress Ctrl-C to stop.",
            flush=True,
        )
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("error: a server stopped unexpectedly; stopping the others", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n==> stopping", flush=True)
        return 0
    finally:
        _stop(processes)


if __name__ == "__main__":
    sys.exit(main())
