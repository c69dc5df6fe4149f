"""Build the real index once per test session (a no-op when it is up to date)."""

from __future__ import annotations

import contextlib
import io
from functools import cache

import pytest

from knowledge import build


@cache
def ensure_index() -> None:
    """Run ``python -m knowledge.build`` in-process; fail the session if it fails."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = build.main([])
    if code != 0:
        pytest.fail(f"python -m knowledge.build failed ({code}):\n{output.getvalue()}")
