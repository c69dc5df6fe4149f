"""Passcodes and access tokens.

Passcodes are stored as scrypt hashes (``scrypt$n$r$p$salt$hash``). Access tokens
are JWTs signed with HS256 and ``PA_JWT_SECRET``; claims ``sub`` (partner id or
operator e-mail), ``role`` (``partner``, ``operator`` or ``program_manager``), ``iat``,
``exp`` and ``jti`` (a unique id that signing out revokes, see ``partners.revoked_tokens``).
An operator's role is checked against the account on every use (``partners.identity``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Literal

import jwt

from settings import Settings

Role = Literal["partner", "operator", "program_manager"]
ROLES: tuple[Role, ...] = ("partner", "operator", "program_manager")
# The roles of the program office's accounts (partners.operators); never a partner's.
OPERATOR_ROLES: tuple[Role, ...] = ("operator", "program_manager")
JWT_ALGORITHM = "HS256"

# scrypt cost: ~16 MiB and a few tens of milliseconds per check on one core.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class MissingSecretError(RuntimeError):
    """``PA_JWT_SECRET`` is empty, so tokens can neither be issued nor checked."""


class InvalidTokenError(Exception):
    """A bearer token that must not be trusted; ``reason`` says why, for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TokenClaims:
    """The verified content of an access token."""

    subject: str
    role: Role
    expires_at: dt.datetime
    token_id: str | None = None
    # A partner token's record source at sign-in ("sample" or "office"); see issue_token.
    record_source: str | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_passcode(passcode: str, *, salt: bytes | None = None) -> str:
    """Hash a passcode for storage with scrypt and a random salt."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        passcode.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_passcode(passcode: str, stored: str | None) -> bool:
    """Check ``passcode`` against a stored hash in constant time; False for no hash."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            passcode.encode("utf-8"),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(_unb64(expected)),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, _unb64(expected))


@cache
def _dummy_hash() -> str:
    # Checked when the partner id is unknown, so both failures cost the same hash.
    return hash_passcode("not a passcode", salt=b"partner-assistant")


# Passcode checks run at a lower CPU priority than everything else (Linux "nice"): when
# a flood of sign-ins meets the chat on busy cores, the chat gets them first.
PASSCODE_CHECK_NICENESS = 10


def _lower_thread_priority() -> None:
    # On Linux, setpriority with a thread id changes that one thread only; elsewhere
    # (or where it is not allowed) the checks keep the normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PASSCODE_CHECK_NICENESS)


class PasscodeCheckerBusyError(RuntimeError):
    """Too many passcode checks are waiting; the caller should come back shortly."""


class PasscodeChecker:
    """Checks passcodes on a few threads of its own, with a bounded queue.

    One scrypt check costs ~16 MiB and tens of milliseconds of a core. On the event
    loop it would stall every request; on Starlette's shared thread pool a flood of
    bad sign-ins would take the threads that every other sync route and dependency
    needs. Here at most ``workers`` checks run at once and at most ``queue`` more
    wait; beyond that ``verify`` refuses at once instead of queueing without bound.
    The threads run at a lower CPU priority, so a flood slows sign-ins, not the chat.
    """

    def __init__(self, workers: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(
            workers, thread_name_prefix="passcode-check", initializer=_lower_thread_priority
        )
        self._capacity = workers + queue
        self._admitted = 0
        self._lock = threading.Lock()

    def _release(self, _done: Future[bool] | None = None) -> None:
        with self._lock:
            self._admitted -= 1

    async def verify(self, passcode: str, load_stored: Callable[[], str | None]) -> bool:
        """Check ``passcode`` against the stored hash that ``load_stored`` reads.

        The request is admitted (or refused) before it costs anything. ``load_stored``
        (a database read) runs on asyncio's default threads; only the hash runs on the
        checker's low-priority threads, and hashlib lets go of the GIL for it (a
        low-priority thread that held the GIL while waiting for a core would stall the
        event loop with it). No stored hash (an unknown partner) costs a check all the
        same, so the answer's timing does not tell which partner ids exist.

        Raises:
            PasscodeCheckerBusyError: ``workers + queue`` checks are already admitted.

        """
        with self._lock:
            if self._admitted >= self._capacity:
                raise PasscodeCheckerBusyError("too many passcode checks waiting")
            self._admitted += 1
        try:
            stored = await asyncio.to_thread(load_stored)
            future = self._executor.submit(_timing_safe_verify, passcode, stored)
        except BaseException:
            self._release()
            raise
        # Counted until the check itself ends, even if the caller stops waiting.
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)


def _timing_safe_verify(passcode: str, stored: str | None) -> bool:
    matches = verify_passcode(passcode, stored or _dummy_hash())
    return matches and stored is not None


def jwt_secret(settings: Settings) -> str:
    """Return the signing key, or fail clearly when it is not configured.

    Raises:
        MissingSecretError: ``PA_JWT_SECRET`` is empty.

    """
    secret = settings.jwt_secret.strip()
    if not secret:
        raise MissingSecretError(
            "PA_JWT_SECRET is empty: set it in the environment or .env "
            "(`make run` generates one into var/secrets.env on first start)"
        )
    return secret


def issue_token(
    subject: str,
    role: Role,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    record_source: str | None = None,
) -> tuple[str, int]:
    """Sign an access token for ``subject``.

    Args:
        subject: Partner id or operator e-mail.
        role: The role the token grants.
        settings: Where the signing key and lifetime come from.
        now: Issue time; the clock when None.
        record_source: For a partner, the source of its record at sign-in (``sample``
            or ``office``). When the office's import takes over a sample partner's id,
            tokens signed for the sample record stop naming it (``partners.identity``).

    Returns:
        The token and its lifetime in seconds.

    """
    now = now or dt.datetime.now(dt.timezone.utc)
    lifetime = settings.jwt_ttl_minutes * 60
    claims = {
        "sub": subject,
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + lifetime,
        # A unique id, so that signing out can revoke this one token (partners.revoked_tokens).
        "jti": secrets.token_urlsafe(16),
    }
    if record_source is not None:
        claims["src"] = record_source
    return jwt.encode(claims, jwt_secret(settings), algorithm=JWT_ALGORITHM), lifetime


def verify_token(token: str, settings: Settings) -> TokenClaims:
    """Check a token's signature, expiry and claims.

    Raises:
        InvalidTokenError: With a reason fit to show the caller.
        MissingSecretError: The signing key is not configured.

    """
    secret = jwt_secret(settings)
    if not isinstance(token, str) or not token:
        raise InvalidTokenError("no access token given")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "exp", "role"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidTokenError("the access token has expired; sign in again") from exc
    except jwt.InvalidSignatureError as exc:
        raise InvalidTokenError("the access token's signature is not valid") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidTokenError(f"the access token lacks the {exc.claim!r} claim") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidTokenError("the access token is malformed") from exc
    role = claims.get("role")
    subject = claims.get("sub")
    if role not in ROLES or not isinstance(subject, str) or not subject:
        raise InvalidTokenError("the access token has an unknown role or subject")
    return TokenClaims(
        subject=subject,
        role=role,
        expires_at=dt.datetime.fromtimestamp(int(claims["exp"]), dt.timezone.utc),
        token_id=claims["jti"] if isinstance(claims.get("jti"), str) else None,
        record_source=claims["src"] if isinstance(claims.get("src"), str) else None,
    )
