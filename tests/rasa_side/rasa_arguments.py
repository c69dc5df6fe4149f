"""Print what Rasa's own parser makes of the launcher's arguments: the Rasa half of a test.

tests/scripts/test_launch.py builds the command line with ``scripts.launch`` (app
environment); here the server entry point adds the token from the environment
(``rasa_addons.server.rasa_arguments``) and Rasa's argument parser reads the result::

    .venv-rasa/bin/python -m tests.rasa_side.rasa_arguments ARGS_JSON ENVIRON_JSON

Reports ``{"auth_token", "port", "model"}`` as parsed, or ``{"refused": reason}`` when
the entry point refuses to start.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from rasa.__main__ import create_argument_parser

from rasa_addons.server import rasa_arguments
from tests.rasa_env import report


def parsed(argv: list[str], environ: dict[str, str]) -> dict[str, Any]:
    """Return what Rasa parses from ``argv`` given ``environ``, or why the server refused."""
    try:
        arguments = rasa_arguments(argv, environ)
    except SystemExit as refused:
        return {"refused": str(refused)}
    args = create_argument_parser().parse_args(arguments)
    return {"auth_token": args.auth_token, "port": args.port, "model": args.model}


def main(argv: list[str]) -> None:
    """Print ``parsed`` for the arguments and environment given as JSON in ``argv``."""
    report(parsed(json.loads(argv[0]), json.loads(argv[1])))


if __name__ == "__main__":
    main(sys.argv[1:])
