"""Print the Slack blocks of a tier-progress card: the Rasa half of a test.

tests/actions/test_what_if_actions.py computes a card with the action (app
environment); the Slack channel (``rasa_addons.channels.slack_channel``) renders it
here::

    .venv-rasa/bin/python -m tests.rasa_side.slack_blocks CARD_JSON
"""

from __future__ import annotations

import json
import sys

from rasa_addons.channels.slack_channel import tier_progress_blocks
from tests.rasa_env import report


def main(argv: list[str]) -> None:
    """Print the blocks of the card given as JSON in ``argv[0]``."""
    report(tier_progress_blocks(json.loads(argv[0])))


if __name__ == "__main__":
    main(sys.argv[1:])
