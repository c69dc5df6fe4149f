"""Whatever the API is sent, it answers as its OpenAPI document says (schemathesis).

Schemathesis reads ``/openapi.json`` and sends each documented operation generated
valid and invalid requests, as nobody, as a signed-in partner and as an operator.
Every answer must be no server error, and must match the document: a documented
status, content type, headers and body schema (errors included: 401, 403, 404,
410, 422, 429, 503 with their ``{"detail": ...}``). Rasa does not run here, so the
one 5xx allowed is the honest 503 of a route that needs it (a claim, a reply):
"try again in a minute" with Retry-After. The live streams never end, so they are
left to their own tests (tests/e2e/test_live_handoff.py).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.main import app as document_app
from partners.db import create_db_engine
from partners.messages import TROUBLE
from partners.prestart import init_db
from tests.bot.oidc_fixtures import CLIENT_ID, oidc_provider
from tests.bot.test_rate_limits import app_with
from tests.partners.fixtures import Store, operator_token, store_settings, token_for
from tests.partners.portal_fixtures import AUDIENCE, ISSUER, PortalKey, jwks_server


@schemathesis.check
def no_server_error_but_rasa_down(
    ctx: CheckContext, response: Any, case: schemathesis.Case
) -> None:
    """Fail on any 5xx but the documented 503 of a route that needs the absent Rasa."""
    retry_after = response.headers.get("retry-after")
    if response.status_code == 503 and retry_after and response.json().get("detail") == TROUBLE:
        return
    not_a_server_error(ctx, response, case)


CHECKS = [
    no_server_error_but_rasa_down,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Per operation and caller: about 25 operations x 3 callers, a couple of minutes.
MAX_EXAMPLES = 30
UNLIMITED = "1000000/minute"  # the fuzzer is one client sending thousands of requests
PORTS = range(8250, 8300)  # this suite's own ports
LIMIT_SETTINGS = (
    "signin_per_address",
    "signin_failures_per_account",
    "link_per_address",
    "link_per_account",
    "chat_per_address",
    "chat_per_account",
    "api_per_address",
    "api_per_account",
)

# The document as the app publishes it at /openapi.json (it does not depend on settings).
schema = schemathesis.openapi.from_dict(document_app.openapi()).exclude(path_regex=r"/stream$")


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {PORTS}")


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by uvicorn over a seeded store of its own, rate limits off."""
    folder = tmp_path_factory.mktemp("fuzz-store")
    store_config = store_settings(f"sqlite:///{folder / 'partners.db'}", folder)
    engine = init_db(store_config, engine=create_db_engine(store_config.effective_database_url))
    store = Store(store_config, engine, None, folder / "partners.db")  # type: ignore[arg-type]
    limits = {f"rate_limit_{name}": UNLIMITED for name in LIMIT_SETTINGS}
    # The portal hand-over and the company sign-in configured against real peers, so
    # their routes are fuzzed past "not configured" (a JWKS server, an OIDC provider).
    with (
        jwks_server(PortalKey.rsa("fuzz-key")) as portal,
        oidc_provider() as provider,
        app_with(
            store,
            **limits,
            portal_jwks_url=portal.url,
            portal_issuer=ISSUER,
            portal_audience=AUDIENCE,
            oidc_issuer=provider.issuer,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret="fuzz-client-secret",
        ) as app,
    ):
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.1)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    engine.dispose()


def _authorization(caller: str) -> dict[str, str]:
    if caller == "partner":
        # A fresh token per request: the fuzzer also calls sign-out, which revokes it.
        return {"Authorization": f"Bearer {token_for('P-0001')}"}
    if caller == "operator":
        # The sample operator, a program manager: the admin routes are fuzzed too.
        return {"Authorization": f"Bearer {operator_token()}"}
    return {}


FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests every run: a failure is a finding, not luck
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ
def test_answers_to_nobody_match_the_document(case: schemathesis.Case, api_url: str) -> None:
    case.call_and_validate(base_url=api_url, headers=_authorization("nobody"), checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_answers_to_a_partner_match_the_document(case: schemathesis.Case, api_url: str) -> None:
    case.call_and_validate(base_url=api_url, headers=_authorization("partner"), checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_answers_to_an_operator_match_the_document(case: schemathesis.Case, api_url: str) -> None:
    case.call_and_validate(base_url=api_url, headers=_authorization("operator"), checks=CHECKS)
