"""A demo partner portal that embeds the Partner Assistant's widget (sample mode only).

``make run`` (scripts/launch.py) starts it at http://127.0.0.1:8001/ beside the
assistant, so a newcomer sees the real embedding: a page on another origin with
exactly one tag, ``<script src="<assistant>/widget.js" data-portal-token-url=...>``.
It plays the part of a real portal's sign-in, nothing more:

- a sample sign-in of its own: pick one of the assistant's sample people (no password;
  a real portal has its own user directory, this one reads the sample store);
- an RSA signing key made at first start in ``var/portal/`` (never committed), published
  as a JWKS at ``/.well-known/jwks.json``;
- ``GET /portal/assistant-token``: the signed-in user's short-lived RS256 token for the
  assistant (claims iss, aud, sub, email, name, iat, exp; header kid), 401 for visitors.

Run alone (from the repository root): ``.venv/bin/python -m scripts.demo_portal
--port 8001 --assistant-url http://127.0.0.1:8000``. docs/web.md, "Embedding in the portal".
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from partners.db import create_db_engine
from partners.models import Partner, Person
from scripts.demo_portal_page import PORTAL_CSS, portal_page
from settings import get_settings

# Whose people the sample sign-in offers: the demo partner and two more.
SAMPLE_PARTNERS = ("P-0001", "P-0002", "P-0003")
PEOPLE_PER_PARTNER = 2
SESSION_COOKIE = "demo_portal_session"
DEFAULT_AUDIENCE = "partner-assistant"


@dataclass(frozen=True)
class PortalUser:
    """A sample person as the portal knows them; ``user_id`` is the token's ``sub``."""

    user_id: str
    name: str
    email: str
    partner_id: str
    company: str


@dataclass(frozen=True)
class SigningKey:
    """The portal's RSA key and its key id (the RFC 7638 thumbprint)."""

    private_key: rsa.RSAPrivateKey
    kid: str

    def jwk(self) -> dict[str, Any]:
        """Return the public half as a JWK, as the JWKS publishes it."""
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}


def load_or_create_key(directory: Path) -> SigningKey:
    """Read ``signing-key.pem`` from ``directory``, generating it (mode 0600) at first start."""
    path = directory / "signing-key.pem"
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise SystemExit(f"{path}: not an RSA private key; delete it to make a new one")
        private_key = loaded
    else:
        directory.mkdir(parents=True, exist_ok=True)
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
        print(f"==> demo portal: made a signing key in {path}", flush=True)
    public = jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    canonical = json.dumps({k: public[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return SigningKey(private_key, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


@cache
def _store_engine(url: str) -> Any:
    return create_db_engine(url)


def sample_users() -> list[PortalUser]:
    """Return the people the sample sign-in offers, from the assistant's sample store.

    Their portal user id is the CRM id the store keeps for them, or their e-mail
    (sample people have no CRM id): what the assistant maps a token's ``sub`` back to.
    Empty while the assistant is still creating its store.
    """
    url = get_settings().effective_database_url
    database = make_url(url).database
    if url.startswith("sqlite") and database and not Path(database).exists():
        return []  # not made yet; connecting would create an empty file in its place
    engine = _store_engine(url)
    query = (
        select(Person, Partner.name)
        .join(Partner, Person.partner_id == Partner.id)
        .where(Person.partner_id.in_(SAMPLE_PARTNERS))
        .order_by(Person.partner_id, Person.id)
    )
    users: list[PortalUser] = []
    try:
        with Session(engine) as session:
            for person, company in session.execute(query):
                if sum(u.partner_id == person.partner_id for u in users) < PEOPLE_PER_PARTNER:
                    user_id = person.external_id or person.email
                    users.append(
                        PortalUser(user_id, person.name, person.email, person.partner_id, company)
                    )
    except SQLAlchemyError:
        return []  # no store yet: the page says so
    return users


def create_portal(
    *, assistant_url: str, issuer: str, audience: str, key: SigningKey, token_seconds: int = 300
) -> FastAPI:
    """Build the demo portal's app."""
    app = FastAPI(title="Demo partner portal (sample)", docs_url=None, redoc_url=None)
    sessions: dict[str, PortalUser] = {}

    def signed_in(request: Request) -> PortalUser | None:
        return sessions.get(request.cookies.get(SESSION_COOKIE, ""))

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        user = signed_in(request)
        html, policy = portal_page(assistant_url, user, [] if user else sample_users())
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})

    @app.get("/portal.css")
    def stylesheet() -> Response:
        return Response(PORTAL_CSS, media_type="text/css")

    @app.post("/portal/sign-in")
    def sign_in(user_id: Annotated[str, Form()]) -> Response:
        user = next((u for u in sample_users() if u.user_id == user_id), None)
        if user is None:
            return JSONResponse({"detail": f"no sample person {user_id!r}"}, status_code=400)
        response = RedirectResponse("/", status_code=303)
        session_id = secrets.token_urlsafe(24)
        sessions[session_id] = user
        response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="lax")
        return response

    @app.post("/portal/sign-out")
    def sign_out(request: Request) -> Response:
        sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/portal/assistant-token")
    def assistant_token(request: Request) -> JSONResponse:
        """Sign a token for the assistant for the signed-in user (the widget asks for it)."""
        no_store = {"Cache-Control": "no-store"}
        user = signed_in(request)
        if user is None:
            detail = "not signed in at the portal"
            return JSONResponse({"detail": detail}, status_code=401, headers=no_store)
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience,
            "sub": user.user_id,
            "email": user.email,
            "name": user.name,
            "iat": now,
            "exp": now + token_seconds,
        }
        token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
        return JSONResponse({"token": token}, headers=no_store)

    @app.get("/.well-known/jwks.json")
    def jwks() -> dict[str, Any]:
        return {"keys": [key.jwk()]}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: list[str] | None = None) -> int:
    """Serve the demo portal until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--assistant-url", default="http://127.0.0.1:8000")
    parser.add_argument("--issuer", help="the tokens' iss (default: this portal's URL)")
    parser.add_argument("--audience", default=DEFAULT_AUDIENCE, help="the tokens' aud")
    parser.add_argument("--key-dir", type=Path, help="default: $PA_VAR_DIR/portal or var/portal")
    args = parser.parse_args(argv)
    key_dir = args.key_dir or get_settings().var_dir / "portal"
    app = create_portal(
        assistant_url=args.assistant_url.rstrip("/"),
        issuer=args.issuer or f"http://127.0.0.1:{args.port}",
        audience=args.audience,
        key=load_or_create_key(key_dir),
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
