"""Report the parse data Rasa's NLU gives messages: the Rasa side of a test.

The app's tests (tests/knowledge/test_nlu_vectors.py) compare the MiniLM embedding that
a trained model's NLU keeps in each message's parse data with what the app's query
embedder computes, each side in its own environment (their onnxruntime versions
differ). Run in the Rasa environment, from the repository root::

    .venv-rasa/bin/python -m tests.rasa_addons.components.nlu_embeddings MODEL TEXT...

Reports ``[parse data of each text]`` (``tests.rasa_env.report``). The messages go
through Rasa's own parsing path (``Agent.parse_message``: the processor's NLU graph,
``only_output_properties``), so what is reported is what the tracker stores and the
action server receives.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from rasa.core.agent import Agent

from tests.rasa_env import report


async def parse_all(model: str, texts: list[str]) -> list[dict[str, Any]]:
    """Parse each text with the trained model at ``model``, one message at a time."""
    agent = Agent.load(model)
    return [await agent.parse_message(text) for text in texts]


def main(argv: list[str]) -> None:
    """Parse the texts of ``argv[1:]`` with the model ``argv[0]``; print the results."""
    logging.disable(logging.WARNING)  # Rasa's and TensorFlow's notices: not the output
    model, texts = argv[0], argv[1:]
    report(asyncio.run(parse_all(model, texts)))


if __name__ == "__main__":
    main(sys.argv[1:])
