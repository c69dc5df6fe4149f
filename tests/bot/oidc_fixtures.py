"""A real OpenID Connect provider for the company sign-in tests: ``oidc-provider-mock``.

It is Authlib's authorization server with discovery, authorization, token, userinfo
and JWKS endpoints and RS256-signed ID tokens, run here on a thread of werkzeug's
server on a port of this suite's range. Its sign-in form takes any subject; users'
claims are set with its ``PUT /users/<sub>``. It does not check PKCE itself, so the
token requests it receives are recorded for the tests to check the code verifier.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import oidc_provider_mock
import werkzeug.serving

from tests.partners.portal_fixtures import free_port

CLIENT_ID = "partner-assistant"


@dataclass
class Provider:
    """The running provider and the token requests it received."""

    issuer: str
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)

    def add_user(self, sub: str, **claims: Any) -> None:
        """Create or replace a user of the provider (its sign-in form takes the sub)."""
        answer = httpx.put(f"{self.issuer}/users/{sub}", json=claims)
        assert answer.status_code == 204, answer.text


@contextmanager
def oidc_provider() -> Iterator[Provider]:
    """Run the provider (nonce required) until the block ends."""
    port = free_port()
    served = Provider(f"http://127.0.0.1:{port}")
    inner = oidc_provider_mock.app(require_nonce=True)

    def recording(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/oauth2/token":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            served.token_requests.append(parse_qs(body.decode()))
            environ["wsgi.input"] = io.BytesIO(body)
        return inner(environ, start_response)

    server = werkzeug.serving.make_server("127.0.0.1", port, recording, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
