"""The short fault suite: no turn lost while PostgreSQL, Redis, RabbitMQ and Rasa fail.

scripts/fault_suite/ with its short plan (8 simulated users, 35 s): one app and two
Rasa servers on the production endpoints; PostgreSQL's connections are terminated, Redis
is restarted, RabbitMQ is stopped for 18 s, and one Rasa server is killed and started
again (while RabbitMQ is down) as users chat through the app's public API.
``make faults`` runs the full suite (32 users, 120 s) and writes its figures into
docs/benchmarks.md.
"""

from __future__ import annotations

import pytest

from scripts.fault_suite.plan import SHORT, Figures
from scripts.fault_suite.report import summary
from scripts.fault_suite.services import missing_prerequisites
from scripts.fault_suite.suite import run
from tests.conftest import model_path

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> Figures:
    """Run the short fault suite once for the tests of this module."""
    missing = missing_prerequisites()
    if missing:
        pytest.skip("the fault suite needs " + ", ".join(missing) + " (scripts/services.sh start)")
    result = run(SHORT, model_path(), tmp_path_factory.mktemp("faults"))
    print(summary(result))
    return result


def test_every_turn_is_answered_or_told_to_retry(figures: Figures) -> None:
    assert figures.answered > 0, summary(figures)
    assert figures.lost == 0, summary(figures)


def test_every_answered_turn_is_in_the_conversations_history_in_order(
    figures: Figures,
) -> None:
    assert figures.history_broken == 0, summary(figures)


def test_every_answered_turn_reaches_the_event_broker(figures: Figures) -> None:
    assert figures.broker_missing == 0, summary(figures)
