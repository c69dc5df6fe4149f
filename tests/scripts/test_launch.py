"""scripts.launch: the command lines it builds are read by Rasa as intended.

The launcher generates Rasa's API token with ``secrets.token_urlsafe``, whose alphabet
includes "-"; a token that starts with "-" once kept the whole stack from starting
("argument -t/--auth-token: expected one argument").
"""

from __future__ import annotations

import json

import pytest

from scripts.launch import rasa_command
from tests.rasa_env import run_in_rasa_env

PARSE_WITH_RASA = r"""
import json, sys
from rasa.__main__ import create_argument_parser
args = create_argument_parser().parse_args(json.loads(sys.argv[1]))
print(json.dumps({"auth_token": args.auth_token, "port": args.port, "model": args.model}))
"""


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "--double", "plain_Token-123"])
def test_rasa_reads_the_generated_token_whatever_its_first_character(token: str) -> None:
    command = rasa_command("models/some-model.tar.gz", 5099, token)
    rasa_arguments = command[command.index("run") :]

    parsed = run_in_rasa_env(PARSE_WITH_RASA, json.dumps(rasa_arguments))

    assert parsed == {"auth_token": token, "port": 5099, "model": "models/some-model.tar.gz"}
