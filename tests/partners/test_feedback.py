"""Feedback on answers: one vote per turn, a later vote replaces it, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from partners.db import create_db_engine
from partners.feedback import (
    COMMENT_LIMIT,
    FeedbackError,
    TurnFeedback,
    feedback_for,
    feedback_of,
    record,
)
from partners.migrate import upgrade
from tests.partners.fixtures import postgres_schema

SENDER = "web:P-0001:abc"
T0 = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty partner store on each database the product supports."""
    if request.param == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'feedback.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    with postgres_schema(f"pa_feedback_test_{os.getpid()}") as engine:
        upgrade(engine)
        yield engine


def _vote(engine: Engine, vote: str, comment: str | None = None, **kwargs: object) -> None:
    with Session(engine) as session:
        values: dict = {
            "sender_id": SENDER,
            "message_id": "m1",
            "vote": vote,
            "channel": "web",
            "comment": comment,
        }
        values.update(kwargs)
        record(session, **values)
        session.commit()


def _rows(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(TurnFeedback)) or 0


def test_a_vote_is_stored_against_its_turn(engine: Engine) -> None:
    _vote(engine, "down", "  Nothing about Germany.  ", now=T0)
    with Session(engine) as session:
        stored = feedback_for(session, SENDER, "m1")
    assert stored is not None
    assert (stored.vote, stored.comment, stored.channel) == (
        "down",
        "Nothing about Germany.",
        "web",
    )
    assert stored.created_at.replace(tzinfo=dt.timezone.utc) == T0


def test_voting_again_replaces_vote_and_comment_and_keeps_one_row(engine: Engine) -> None:
    _vote(engine, "down", now=T0)
    later = T0 + dt.timedelta(minutes=1)
    _vote(engine, "down", "What was missing: the deadline.", now=later)
    _vote(engine, "up", now=later + dt.timedelta(minutes=1))
    assert _rows(engine) == 1
    with Session(engine) as session:
        stored = feedback_for(session, SENDER, "m1")
    assert stored is not None
    assert (stored.vote, stored.comment) == ("up", None)
    assert stored.created_at.replace(tzinfo=dt.timezone.utc) == T0  # first vote's time kept
    assert stored.updated_at > stored.created_at


def test_other_turns_and_conversations_have_rows_of_their_own(engine: Engine) -> None:
    _vote(engine, "up")
    _vote(engine, "down", message_id="m2")
    _vote(engine, "down", sender_id="U0123", channel="slack")
    assert _rows(engine) == 3
    with Session(engine) as session:
        assert [f.message_id for f in feedback_of(session, SENDER)] == ["m1", "m2"]
        assert feedback_for(session, "U0123", "m1") is not None
        assert feedback_for(session, "web:P-0002:x", "m1") is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"vote": "meh"}, "vote must be"),
        ({"channel": "fax"}, "channel must be"),
        ({"message_id": ""}, "turn must be"),
        ({"message_id": "a b"}, "turn must be"),
        ({"message_id": "x" * 101}, "turn must be"),
        ({"sender_id": ""}, "conversation id"),
        ({"comment": "x" * (COMMENT_LIMIT + 1)}, "longer than 1000"),
    ],
)
def test_bad_feedback_is_refused_with_a_reason(engine: Engine, change: dict, reason: str) -> None:
    values = {"vote": "up", **change}
    with pytest.raises(FeedbackError, match=reason):
        _vote(engine, **values)
    assert _rows(engine) == 0


def test_comments_are_cleaned(engine: Engine) -> None:
    _vote(engine, "down", "\x00 bad\x07 bytes\n\tkept \x1b")
    with Session(engine) as session:
        stored = feedback_for(session, SENDER, "m1")
    assert stored is not None and stored.comment == "bad bytes\n\tkept"
    _vote(engine, "down", "   ")
    with Session(engine) as session:
        blank = feedback_for(session, SENDER, "m1")
    assert blank is not None and blank.comment is None


def test_the_database_refuses_a_second_row_for_a_turn_and_unknown_votes(engine: Engine) -> None:
    _vote(engine, "up")
    for row in (
        TurnFeedback(
            sender_id=SENDER, message_id="m1", vote="up", channel="web",
            created_at=T0, updated_at=T0,
        ),
        TurnFeedback(
            sender_id=SENDER, message_id="m9", vote="meh", channel="web",
            created_at=T0, updated_at=T0,
        ),
    ):  # fmt: skip
        with Session(engine) as session, pytest.raises(IntegrityError):
            session.add(row)
            session.commit()


def test_votes_arriving_together_leave_one_row(engine: Engine) -> None:
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def vote(index: int) -> None:
        try:
            start.wait()
            _vote(engine, "up" if index % 2 else "down", f"vote {index}")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _rows(engine) == 1
