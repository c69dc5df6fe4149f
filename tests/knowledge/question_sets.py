"""The partner questions of tests/knowledge: those the catalogue answers and those it must not."""

from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).parent


def all_questions() -> list[str]:
    """Return the retrieval questions' texts, then the out-of-scope questions."""
    in_scope = yaml.safe_load((HERE / "retrieval_questions.yaml").read_text())
    out_of_scope = yaml.safe_load((HERE / "out_of_scope_questions.yaml").read_text())
    return [item["question"] for item in in_scope] + list(out_of_scope)
