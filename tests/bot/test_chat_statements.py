"""What one signed-in chat message costs the partner store at the app's edge.

``POST /v1/chat`` checks the access token once (signature, sign-out, partner: the
``chat_caller`` dependency) and binds the conversation to that sign-in with the claims
it verified, writing only when the sign-in changed. The statements are counted on the
real app over its SQLite store, with a SQLAlchemy cursor listener. Rasa is not running
here, so the route stops at its call to Rasa (503): what is counted is everything the
route runs before the message leaves the app. After Rasa answers, the route reads the
conversation's handoff ticket once (``handoff`` in the reply; the turn itself can open
a ticket, so it is read after the turn, not folded into the reads before it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from partners.db import engine_for
from settings import get_settings
from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements ``engine`` runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _say(web: WebApp, session: str, token: str) -> list[str]:
    engine = engine_for(get_settings().effective_database_url)
    with statements(engine) as seen:
        said = web.client.post(
            "/v1/chat",
            json={"session": session, "message": "what's my tier?"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert said.status_code == 503, said.text  # stopped at Rasa, after every store check
    return seen


def test_a_signed_in_message_costs_three_reads_and_no_write(web: WebApp) -> None:
    token = web.sign_in("P-0001")
    created = web.client.post("/v1/chat/session", headers={"Authorization": f"Bearer {token}"})
    session = created.json()["session"]

    seen = _say(web, session, token)

    # The sign-in: not signed out, a known partner; the conversation's binding, already
    # bound to this sign-in, so nothing is written.
    assert [s.split()[0] for s in seen] == ["SELECT", "SELECT", "SELECT"], seen
    assert "revoked_tokens" in seen[0] and "partners" in seen[1]
    assert "conversation_bindings" in seen[2]


def test_a_new_sign_in_rebinds_with_one_write(web: WebApp) -> None:
    session = web.client.post(
        "/v1/chat/session", headers={"Authorization": f"Bearer {web.sign_in('P-0001')}"}
    ).json()["session"]

    seen = _say(web, session, web.sign_in("P-0001"))

    assert [s.split()[0] for s in seen] == ["SELECT", "SELECT", "SELECT", "UPDATE"], seen
    assert "conversation_bindings" in seen[3]
