"""Read Rasa's NLU files as plain YAML (no Rasa): blocks, examples and their annotations.

Shared by the checks of the training data (tests/nlu/test_nlu_data.py) and the test
that the trained model tags every example as the app would
(tests/knowledge/test_nlu_entities.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TRAINING_FILES = sorted((ROOT / "data" / "nlu").glob("*.yml"))
HELDOUT_FILE = ROOT / "tests" / "nlu" / "heldout.yml"
# An entity annotation in an example: "[sec](competency)".
ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)\)")


def block_examples(block: dict[str, Any]) -> list[str]:
    """Return the examples of one block (intent, lookup table...), as written."""
    return [line[2:].strip() for line in block["examples"].splitlines() if line.strip()]


def nlu_blocks(*paths: Path) -> list[dict[str, Any]]:
    """Return the ``nlu`` blocks of the files, in order."""
    blocks: list[dict[str, Any]] = []
    for path in paths:
        blocks += yaml.safe_load(path.read_text()).get("nlu", [])
    return blocks


def intent_examples(blocks: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Return each intent's examples, as written (annotations included)."""
    found: dict[str, list[str]] = {}
    for block in blocks:
        if "intent" in block:
            found.setdefault(block["intent"], []).extend(block_examples(block))
    return found


def annotated(example: str) -> tuple[str, list[tuple[str, int, int]]]:
    """Return an example's plain text and its annotated spans (label, start, end)."""
    text, spans, last = "", [], 0
    for match in ANNOTATION.finditer(example):
        text += example[last : match.start()]
        spans.append((match.group(2), len(text), len(text) + len(match.group(1))))
        text += match.group(1)
        last = match.end()
    return text + example[last:], spans
