"""A partner portal for the tests: real signing keys and a real JWKS served over HTTP.

``PortalKey`` holds a freshly generated RSA (or EC) key pair and signs portal tokens
with PyJWT, as the portal does; ``JwksServer`` serves the published keys from a thread
of Python's own HTTP server on 127.0.0.1, counts the fetches, and can be made to fail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://portal.example.test"
AUDIENCE = "partner-assistant"
JWKS_PATH = "/.well-known/jwks.json"
# This suite's own ports (H9: 28210-28219), never make run's.
PORTS = range(28210, 28220)


def free_port() -> int:
    """A port of this suite's range that nothing listens on."""
    for port in PORTS:
        with socket.socket() as sock:
            # As the servers bind: a port whose old connections linger is free to use.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


@dataclass
class PortalKey:
    """One signing key of the portal: the private key and its public JWK."""

    kid: str
    private_key: Any
    algorithm: str

    @classmethod
    def rsa(cls, kid: str) -> PortalKey:
        """A new 2048-bit RSA key for RS256."""
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256")

    @classmethod
    def ec(cls, kid: str) -> PortalKey:
        """A new P-256 key for ES256."""
        return cls(kid, ec.generate_private_key(ec.SECP256R1()), "ES256")

    @property
    def public_jwk(self) -> dict[str, Any]:
        """The public key as the JWKS publishes it."""
        kind = RSAAlgorithm if self.algorithm == "RS256" else ECAlgorithm
        jwk = dict(kind.to_jwk(self.private_key.public_key(), as_dict=True))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        """Sign ``claims`` as the portal does; ``header`` adds or overrides header fields."""
        headers = {"kid": self.kid, **header}
        return jwt.encode(claims, self.private_key, algorithm=self.algorithm, headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_token(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """An HS256 token made by hand (PyJWT refuses to use a public key as an HMAC secret)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def public_pem(key: PortalKey) -> bytes:
    """The public key in PEM: what an attacker would try as an HMAC secret."""
    return bytes(
        key.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def portal_claims(**changes: Any) -> dict[str, Any]:
    """The claims of a portal token for a signed-in user, valid for five minutes."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "CRM-000001",
        "email": "someone@example.test",
        "name": "Someone",
        "iat": now,
        "exp": now + 300,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


@dataclass
class JwksServer:
    """The portal's JWKS endpoint; ``keys`` and ``status`` may be changed at any time."""

    port: int
    keys: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    fetches: int = 0

    @property
    def url(self) -> str:
        """The JWKS address to configure (``PA_PORTAL_JWKS_URL``)."""
        return f"http://127.0.0.1:{self.port}{JWKS_PATH}"

    def publish(self, *keys: PortalKey) -> None:
        """Publish exactly these keys (key rotation: the old ones go)."""
        self.keys = [key.public_jwk for key in keys]


@contextmanager
def jwks_server(*keys: PortalKey) -> Iterator[JwksServer]:
    """Serve a JWKS with ``keys`` on a free port of this suite until the block ends."""
    served = JwksServer(free_port())
    served.publish(*keys)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server interface
            served.fetches += 1
            ok = self.path == JWKS_PATH and served.status == 200
            body = json.dumps({"keys": served.keys} if ok else {"error": "unavailable"})
            self.send_response(served.status if self.path == JWKS_PATH else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", served.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
