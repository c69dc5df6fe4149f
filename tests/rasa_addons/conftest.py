"""Fixtures of the Rasa side's tests, which run in the Rasa environment (``.venv-rasa``).

``make rasa-test`` (part of ``make test``) runs them as
``.venv-rasa/bin/python -m pytest tests/rasa_addons``; the app's pytest does not collect
this folder (tests/conftest.py), and run from the app environment they stop at once
with the command to use.

The fixes of rasa_addons/ are installed into Rasa's classes (``apply()``); every test
module gets Rasa as it was before the module ran, so that one module's fixes do not
change what another compares against.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pluggy
import pytest

from tests.rasa_env import ROOT, skip_as_failure_under_ci

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

try:
    import rasa  # noqa: F401
except ImportError:  # pragma: no cover - the app environment
    raise pytest.UsageError(
        "tests/rasa_addons run in the Rasa environment: "
        "`make rasa-test` or `.venv-rasa/bin/python -m pytest tests/rasa_addons`"
    ) from None

from rasa.shared.core.domain import Domain

# What the fixes replace lives in the modules rasa_addons/server/patches.py imports:
# import it (and so the Rasa modules they patch) before the first snapshot of Rasa.
from rasa_addons.server import patches  # noqa: F401


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    """Under CI, report a skipped test (a missing prerequisite) as failed."""
    outcome = yield
    skip_as_failure_under_ci(outcome.get_result())


def _rasa_namespaces() -> list[object]:
    """Every loaded Rasa module and the classes it defines: where the fixes go."""
    namespaces: list[object] = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "rasa" or name.startswith("rasa.")):
            continue
        namespaces.append(module)
        namespaces.extend(
            value
            for value in list(vars(module).values())
            if isinstance(value, type) and value.__module__ == name
        )
    return namespaces


@contextmanager
def rasa_as_it_was() -> Iterator[None]:
    """Put back every attribute of Rasa's modules and classes that the block replaced."""
    saved = [(namespace, dict(vars(namespace))) for namespace in _rasa_namespaces()]
    try:
        yield
    finally:
        for namespace, before in saved:
            now = vars(namespace)
            for key, value in before.items():
                if key in now and now[key] is not value:
                    setattr(namespace, key, value)


@pytest.fixture(scope="module", autouse=True)
def _unpatched_rasa_per_module() -> Iterator[None]:
    with rasa_as_it_was():
        yield


@pytest.fixture(scope="session")
def domain() -> Domain:
    """The project's domain."""
    return Domain.from_path(ROOT / "domain.yml")


@pytest.fixture(scope="session")
def model_path() -> str:
    """The trained model under test: ``PA_TEST_MODEL`` (set by make test) or the newest."""
    explicit = os.environ.get("PA_TEST_MODEL")
    if explicit:
        return explicit
    models = sorted(Path(ROOT / "models").glob("partner-assistant-*.tar.gz"), key=os.path.getmtime)
    if not models:
        pytest.fail("no trained model in models/: run the tests through `make test`")
    return str(models[-1])
