"""Shared test helpers for the partner store: one seeded SQLite store per session.

Test modules in tests/partners, tests/actions, tests/bot and tests/security call
``seeded_store`` from their own fixtures; the store is migrated and seeded once per
test session (about a second) and treated as read-only by every test.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from partners.auth import TokenClaims, issue_token
from partners.catalogue import ProgramCatalogue, program_catalogue
from partners.conversations import bind
from partners.db import create_db_engine, engine_for
from partners.prestart import init_db
from settings import Settings, get_settings

TEST_SECRET = "test-secret-for-hs256-and-hs512-0123456789abcdef0123456789abcdef0123"
# The sample operator account (partners.operators), seeded with every sample store.
SAMPLE_OPERATOR = "ops@example.com"
SAMPLE_SLACK_USER = "U0SAMPLE0020"  # partners.seed links every 20th sample partner
SAMPLE_SLACK_TEAM = "T0SAMPLE"
FIXTURES = Path(__file__).resolve().parents[1] / "actions" / "fixtures"


@dataclass(frozen=True)
class Store:
    """A migrated, seeded partner store and the settings that point at it."""

    settings: Settings
    engine: Engine
    catalogue: ProgramCatalogue
    path: Path


def store_settings(database_url: str, var_dir: Path, **overrides: Any) -> Settings:
    """Settings for tests: explicit values only, never the developer's .env."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "var_dir": var_dir,
        "jwt_secret": TEST_SECRET,
        "seed_sample_data": True,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


_stores: dict[str, Store] = {}


def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The session's seeded SQLite store (created on first use)."""
    if "sqlite" not in _stores:
        folder = tmp_path_factory.mktemp("partner-store")
        path = folder / "partners.db"
        settings = store_settings(f"sqlite:///{path}", folder)
        engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
        _stores["sqlite"] = Store(settings, engine, program_catalogue(), path)
    return _stores["sqlite"]


ENV_NAMES = ("PA_DATABASE_URL", "PA_JWT_SECRET", "PA_SEED_SAMPLE_DATA")


@contextmanager
def process_settings(store: Store) -> Iterator[None]:
    """Point the process settings (``PA_*``, ``get_settings()``) at ``store``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PA_DATABASE_URL", store.settings.effective_database_url)
        patch.setenv("PA_JWT_SECRET", TEST_SECRET)
        patch.setenv("PA_SEED_SAMPLE_DATA", "true")
        patch.setenv("PA_VAR_DIR", str(store.path.parent))
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()


def token_for(partner_id: str, *, role: str = "partner", minutes_ago: int = 0) -> str:
    """A token signed with the test secret; ``minutes_ago`` back-dates it (expiry)."""
    settings = store_settings("sqlite://", Path("."))
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes_ago)
    token, _ = issue_token(partner_id, role, settings, now=now)  # type: ignore[arg-type]
    return token


def operator_token(role: str = "program_manager", email: str = SAMPLE_OPERATOR) -> str:
    """An operator's token signed with the test secret (the account decides its role on use)."""
    return token_for(email, role=role)


def slack_metadata(user: str = SAMPLE_SLACK_USER, team: str | None = SAMPLE_SLACK_TEAM) -> dict:
    """Metadata the Slack connector records for a message of ``user``."""
    return {"slack_user_id": user, "slack_team_id": team}


def bind_conversation(
    conversation_id: str,
    partner_id: str,
    *,
    expired: bool = False,
    engine: Engine | None = None,
) -> str:
    """Bind a conversation to a sign-in of ``partner_id``, as the app's chat does.

    Uses the process settings' store unless ``engine`` is given. Returns the sign-in's
    token (so a test can sign it out).
    """
    token = token_for(partner_id, minutes_ago=24 * 60 if expired else 0)
    # Read back without the expiry check, which would refuse the expired one.
    payload = jwt.decode(token, TEST_SECRET, algorithms=["HS256"], options={"verify_exp": False})
    expires_at = dt.datetime.fromtimestamp(payload["exp"], dt.timezone.utc)
    claims = TokenClaims(partner_id, "partner", expires_at, payload["jti"])
    url = get_settings().effective_database_url
    with Session(engine or engine_for(url)) as session:
        bind(session, conversation_id, claims)
        session.commit()
    return token


def _fill(value: Any) -> Any:
    """Replace ``{{token:P-0001}}``, ``{{expired:P-0001}}`` and ``{{slack}}`` placeholders."""
    if isinstance(value, dict):
        if value.get("$slack") is True:
            return slack_metadata()
        return {key: _fill(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item) for item in value]
    if isinstance(value, str) and value.startswith("{{") and value.endswith("}}"):
        kind, _, partner_id = value[2:-2].partition(":")
        if kind == "token":
            return token_for(partner_id)
        if kind == "expired":
            return token_for(partner_id, minutes_ago=24 * 60)
        if kind == "operator":
            return operator_token()
    return value


def action_call(name: str, **changes: Any) -> dict[str, Any]:
    """Load ``tests/actions/fixtures/<name>.json`` as a fresh conversation; apply changes.

    Every call gets a conversation id of its own. A fixture's ``signed_in_as`` (or the
    ``signed_in_as`` change; None for an anonymous one) binds that conversation to a
    sign-in of the partner in the process settings' store, as the app's chat does;
    ``sign_in_expired=True`` makes that sign-in an expired one, ``sender_id`` picks
    the conversation id (to continue a conversation). ``changes`` may also
    set ``text``, ``metadata``, ``input_channel``, ``entities``, ``slots`` or
    ``next_action`` of the call.
    """
    call = _fill(json.loads((FIXTURES / f"{name}.json").read_text()))
    partner_id = changes.get("signed_in_as", call.pop("signed_in_as", None))
    if str(call.get("sender_id", "")).startswith("web"):
        owner = partner_id or "anon"
        call["sender_id"] = changes.get("sender_id") or f"web:{owner}:{secrets.token_urlsafe(12)}"
        call["tracker"]["sender_id"] = call["sender_id"]
    if partner_id is not None:
        bind_conversation(
            call["sender_id"], partner_id, expired=changes.get("sign_in_expired", False)
        )
    tracker = call["tracker"]
    user_event = next(e for e in reversed(tracker["events"]) if e["event"] == "user")
    for key in ("text", "metadata"):
        if key in changes:
            tracker["latest_message"][key] = changes[key]
            user_event[key] = changes[key]
    if "entities" in changes:
        tracker["latest_message"]["entities"] = changes["entities"]
    if "input_channel" in changes:
        user_event["input_channel"] = changes["input_channel"]
        tracker["latest_input_channel"] = changes["input_channel"]
    if "slots" in changes:
        tracker["slots"].update(changes["slots"])
    if "next_action" in changes:
        call["next_action"] = changes["next_action"]
    return call


POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def postgres_schema(schema: str) -> Iterator[Engine]:
    """Yield an engine on a private, empty schema of the local PostgreSQL server.

    Skips the test when the server is unreachable; drops the schema afterwards.
    """
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
    with admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.execute(f"CREATE SCHEMA {schema}")
    engine = create_db_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
