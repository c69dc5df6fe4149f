"""Rasa 3.6's command line with the fixes of rasa_addons/ applied (speed-ups, failures).

``python -m rasa_addons.server run ...`` takes exactly the arguments of ``rasa``; the
launcher (scripts/launch.py) starts every Rasa server this way. Plain ``rasa run``
still works, with the same replies, only slower under load, silent instead of
apologising when the app cannot run an action or runs it too slowly, and starting a
conversation afresh when the tracker store cannot be read.

Most of rasa_addons/ plugs into Rasa where Rasa is meant to be extended (config.yml,
credentials.yml, endpoints.yml). What cannot replaces Rasa's own code at run time:
rasa_addons/server/patches.py lists every such replacement with the Rasa code it
replaces, and ``patches.apply()`` installs them. That code is Rasa's at one version:
on any other the server refuses to start (``check_rasa_version``) before installing
any of them. ``PINNED_RASA`` is that version, kept equal to requirements/rasa.lock.txt
by tests/rasa_addons/server/test_server.py.

Rasa's HTTP API token comes from ``PA_RASA_TOKEN`` in the environment, not from the
command line, where ``ps`` shows it to every user of the machine: it is handed to
Rasa's argument parser inside this process, which ``/proc/<pid>/cmdline`` never sees.
"""

from __future__ import annotations

import os
import sys

import rasa.version

TOKEN_VARIABLE = "PA_RASA_TOKEN"
# The Rasa version whose code rasa_addons/server/patches.py replaces (requirements/rasa.lock.txt).
PINNED_RASA = "3.6.21"


def check_rasa_version(installed: str) -> None:
    """Refuse any Rasa other than the pinned one, whose code the fixes replace.

    Raises:
        SystemExit: ``installed`` is not ``PINNED_RASA``.

    """
    if installed != PINNED_RASA:
        raise SystemExit(
            f"error: rasa_addons patches Rasa {PINNED_RASA}, and this environment has Rasa "
            f"{installed}. Install the pinned version (scripts/setup-env.sh rasa installs "
            "requirements/rasa.lock.txt). To move to another version, read "
            "rasa_addons/server/patches.py: it lists each replaced part of Rasa with the "
            "Rasa code it replaces; check that code in the new version, then change "
            "PINNED_RASA (rasa_addons/server/__init__.py) and requirements/rasa.lock.txt "
            "together."
        )


def rasa_arguments(argv: list[str], environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """Return Rasa's arguments with the API token from the environment added.

    A ``run`` command with ``--enable-api`` gets ``--auth-token=<PA_RASA_TOKEN>`` (as one
    argument: a token can start with "-"). A token given on the command line is
    refused, so that it cannot end up in ``ps`` by habit.

    Raises:
        SystemExit: A token on the command line, or an API without ``PA_RASA_TOKEN``.

    """
    if any(arg == "--auth-token" or arg.startswith("--auth-token=") for arg in argv):
        raise SystemExit(f"error: pass Rasa's API token in {TOKEN_VARIABLE}, not --auth-token")
    if argv[:1] != ["run"] or "--enable-api" not in argv:
        return argv
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise SystemExit(f"error: {TOKEN_VARIABLE} is empty: Rasa's HTTP API needs a token")
    return [*argv, f"--auth-token={token}"]


def main() -> None:
    """Run Rasa's command line with the fixes applied."""
    check_rasa_version(rasa.version.__version__)
    # Imported after the check: on another Rasa these may not even import.
    from rasa_addons.server.training_imports import keep_training_imports_out

    keep_training_imports_out()  # before the patches import Rasa's policies
    from rasa_addons.server import action_failures, patches

    arguments = rasa_arguments(sys.argv[1:], os.environ)
    try:
        patches.apply(os.environ)
    except action_failures.ActionTimeoutError as error:
        raise SystemExit(f"error: {error}") from None
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *arguments]
    rasa_main()
