"""One-time link codes: a Slack user becomes linked to the partner who confirms."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from partners import linking
from partners.db import create_db_engine
from partners.migrate import upgrade
from partners.models import ChatLink, Partner
from tests.partners.fixtures import postgres_schema

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    """A migrated, empty store with two partners (this module writes to it)."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'partners.db'}")
    upgrade(engine)
    with Session(engine) as session:
        for partner_id in ("P-0001", "P-0002"):
            session.add(Partner(id=partner_id, name=partner_id, country="US", tier="Silver"))
        session.commit()
    yield engine
    engine.dispose()


def _issue(engine: Engine, user: str = "U1", *, at: dt.datetime = NOW) -> str:
    with Session(engine) as session:
        code = linking.issue_link_code(session, "slack", user, "T1", now=at)
        session.commit()
    return code


def _redeem(engine: Engine, code: str, partner: str, *, at: dt.datetime = NOW) -> None:
    with Session(engine) as session:
        linking.redeem_link_code(session, code, partner, now=at)
        session.commit()


def _partner_of(engine: Engine, user: str) -> str | None:
    with Session(engine) as session:
        return linking.linked_partner_id(session, "slack", user)


def test_a_confirmed_code_links_the_slack_user_to_the_partner(engine: Engine) -> None:
    code = _issue(engine)
    with Session(engine) as session:
        pending = linking.pending_link(session, code, now=NOW)
    assert (pending.channel, pending.external_user_id, pending.team_id) == ("slack", "U1", "T1")
    assert _partner_of(engine, "U1") is None

    _redeem(engine, code, "P-0001", at=NOW + dt.timedelta(minutes=5))

    assert _partner_of(engine, "U1") == "P-0001"
    with Session(engine) as session:
        [link] = linking.links_of_partner(session, "P-0001")
    assert (link.external_user_id, link.team_id) == ("U1", "T1")


def test_a_code_works_once(engine: Engine) -> None:
    code = _issue(engine)
    _redeem(engine, code, "P-0001")
    with Session(engine) as session, pytest.raises(linking.LinkCodeError, match="already used"):
        linking.redeem_link_code(session, code, "P-0002", now=NOW)
    assert _partner_of(engine, "U1") == "P-0001"


def test_a_code_expires(engine: Engine) -> None:
    code = _issue(engine)
    late = NOW + linking.LINK_CODE_TTL + dt.timedelta(seconds=1)
    with Session(engine) as session, pytest.raises(linking.LinkCodeError, match="expired"):
        linking.redeem_link_code(session, code, "P-0001", now=late)
    assert _partner_of(engine, "U1") is None


def test_unknown_codes_and_partners_are_refused(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(linking.LinkCodeError, match="not valid"):
        linking.pending_link(session, "no-such-code", now=NOW)
    code = _issue(engine)
    with Session(engine) as session, pytest.raises(linking.LinkCodeError, match="no partner"):
        linking.redeem_link_code(session, code, "P-9999", now=NOW)


def test_a_new_code_replaces_the_unused_one(engine: Engine) -> None:
    first = _issue(engine)
    second = _issue(engine, at=NOW + dt.timedelta(minutes=1))
    with Session(engine) as session, pytest.raises(linking.LinkCodeError):
        linking.pending_link(session, first, now=NOW + dt.timedelta(minutes=2))
    _redeem(engine, second, "P-0002", at=NOW + dt.timedelta(minutes=2))
    assert _partner_of(engine, "U1") == "P-0002"


def test_codes_are_stored_only_as_hashes(engine: Engine) -> None:
    code = _issue(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM link_codes")).all()
    assert rows and all(code not in map(str, row) for row in rows)


def test_relinking_moves_the_identity_to_the_new_partner(engine: Engine) -> None:
    _redeem(engine, _issue(engine), "P-0001")
    _redeem(engine, _issue(engine, at=NOW + dt.timedelta(minutes=1)), "P-0002")
    assert _partner_of(engine, "U1") == "P-0002"
    with Session(engine) as session:
        assert len(session.scalars(select(ChatLink)).all()) == 1


def test_unlinking_from_the_chat_and_from_the_account_screen(engine: Engine) -> None:
    _redeem(engine, _issue(engine, "U1"), "P-0001")
    _redeem(engine, _issue(engine, "U2"), "P-0001")
    with Session(engine) as session:
        assert linking.unlink_identity(session, "slack", "U1") == "P-0001"
        assert linking.unlink_identity(session, "slack", "U1") is None
        [remaining] = linking.links_of_partner(session, "P-0001")
        # Another partner cannot remove P-0001's link; P-0001 can.
        assert not linking.unlink_for_partner(session, "P-0002", remaining.id)
        assert linking.unlink_for_partner(session, "P-0001", remaining.id)
        session.commit()
    assert _partner_of(engine, "U1") is None
    assert _partner_of(engine, "U2") is None


def _redeem_at_once(engine: Engine, code: str, attempts: int = 8) -> list[str | Exception]:
    """Redeem ``code`` from ``attempts`` threads at the same moment (two tabs, a replay).

    Returns each attempt's outcome: the partner it linked to, or the exception.
    """
    start = threading.Barrier(attempts)

    def attempt(number: int) -> str | Exception:
        partner = ("P-0001", "P-0002")[number % 2]
        with Session(engine) as session:
            start.wait()
            try:
                linking.redeem_link_code(session, code, partner, now=NOW)
                session.commit()
            except Exception as exc:  # the outcome under test, whatever it is
                session.rollback()
                return exc
        return partner

    with ThreadPoolExecutor(attempts) as pool:
        return list(pool.map(attempt, range(attempts)))


def _assert_redeemed_once(engine: Engine, outcomes: list[str | Exception]) -> None:
    winners = [outcome for outcome in outcomes if isinstance(outcome, str)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, str)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(exc, linking.LinkCodeError) for exc in refused), refused
    assert all("already used" in str(exc) for exc in refused), refused
    assert _partner_of(engine, "U1") == winners[0]
    with Session(engine) as session:
        assert len(session.scalars(select(ChatLink)).all()) == 1
        used_by = session.scalars(select(linking.LinkCode.used_by_partner_id)).all()
    assert used_by == winners


def test_a_code_redeemed_at_once_from_many_requests_links_once(engine: Engine) -> None:
    code = _issue(engine)
    _assert_redeemed_once(engine, _redeem_at_once(engine, code))


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A migrated private schema on the local PostgreSQL with the two partners."""
    with postgres_schema(f"test_link_race_{uuid.uuid4().hex[:8]}") as engine:
        upgrade(engine)
        with Session(engine) as session:
            for partner_id in ("P-0001", "P-0002"):
                session.add(Partner(id=partner_id, name=partner_id, country="US", tier="Silver"))
            session.commit()
        yield engine


@pytest.mark.postgres
def test_a_code_redeemed_at_once_links_once_on_postgres(postgres_engine: Engine) -> None:
    code = _issue(postgres_engine)
    _assert_redeemed_once(postgres_engine, _redeem_at_once(postgres_engine, code))
