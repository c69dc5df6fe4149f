"""The partner portal's public signing keys (its JWKS): fetched, cached, rotated.

The portal signs a short-lived JWT for its signed-in user (``partners.portal_identity``);
the assistant checks it with the portal's published keys. The keys are fetched over
HTTP with a timeout and kept for ``cache_seconds``. A token whose key id (``kid``) is
not among them makes one refetch (the portal has rotated its keys), but never more
than one fetch per ``min_refetch_seconds``: a flood of tokens with made-up key ids
costs the portal at most one request in that time, per process.

When the portal cannot be reached, keys fetched before stay in use for up to
``STALE_GRACE_SECONDS`` beyond their lifetime, so a short portal outage does not stop
sign-ins; without usable keys the caller gets ``PortalKeysUnavailableError`` (503).
Only RSA and EC signing keys for RS256 and ES256 are kept: a symmetric ("oct") key in
the set could otherwise turn the public key set into a shared secret.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from jwt import PyJWK
from jwt.exceptions import InvalidKeyError, PyJWKError

logger = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ("RS256", "ES256")
# Keys fetched before are trusted this much longer while the portal cannot be reached.
STALE_GRACE_SECONDS = 3600.0

FetchJwks = Callable[[str, float], Awaitable[Any]]


class UnknownKeyError(Exception):
    """The portal publishes no usable key with this key id."""


class PortalKeysUnavailableError(RuntimeError):
    """The portal's keys cannot be had now; ``retry_after`` says when to try again."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


async def fetch_jwks(url: str, timeout: float) -> Any:
    """GET the JWKS document at ``url`` and return its JSON.

    Raises:
        httpx.HTTPError: The portal did not answer, or not with 2xx.
        ValueError: The answer is not JSON.

    """
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()


def usable_keys(document: Any) -> dict[str, PyJWK]:
    """Return the RS256/ES256 signing keys of a JWKS document by key id.

    Keys without a ``kid``, for another use than signing, of another type or algorithm,
    or carrying private parts are left out.

    Raises:
        ValueError: The document is not a JWK set.

    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("the answer is not a JWK set (no 'keys' list)")
    keys: dict[str, PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig" or "d" in entry:
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid or entry.get("kty") not in ("RSA", "EC"):
            continue
        try:
            key = PyJWK(entry)
        except (PyJWKError, InvalidKeyError, ValueError, TypeError, KeyError):
            continue
        if key.algorithm_name in ALLOWED_ALGORITHMS:
            keys[kid] = key
    return keys


class PortalKeys:
    """The portal's signing keys of one process, refetched as described above."""

    def __init__(
        self,
        url: str,
        *,
        cache_seconds: float = 300.0,
        min_refetch_seconds: float = 30.0,
        timeout_seconds: float = 5.0,
        fetch: FetchJwks = fetch_jwks,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._cache_seconds = cache_seconds
        self._min_refetch_seconds = min_refetch_seconds
        self._timeout_seconds = timeout_seconds
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None  # the last fetch that gave keys
        self._attempted_at: float | None = None  # the last fetch, whatever came of it
        self._last_failure: str | None = None
        self._lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    def _loop_lock(self) -> asyncio.Lock:
        # An asyncio lock belongs to one event loop; a test client may run several.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock[0] is not loop:
            self._lock = (loop, asyncio.Lock())
        return self._lock[1]

    def _age(self, now: float) -> float:
        return math.inf if self._fetched_at is None else now - self._fetched_at

    def _fresh(self, now: float) -> bool:
        return self._age(now) < self._cache_seconds

    def _usable(self, now: float) -> bool:
        return self._age(now) < self._cache_seconds + STALE_GRACE_SECONDS

    def _may_fetch(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._min_refetch_seconds

    def _retry_after(self, now: float) -> int:
        waited = 0.0 if self._attempted_at is None else now - self._attempted_at
        return max(1, math.ceil(self._min_refetch_seconds - waited))

    async def key_for(self, kid: str) -> PyJWK:
        """Return the portal's key with id ``kid``, fetching the key set when due.

        Raises:
            UnknownKeyError: The portal publishes no such (usable) key.
            PortalKeysUnavailableError: No usable keys: the portal cannot be reached or
                sends no usable key set, and the next try is not due yet.

        """
        key = self._keys.get(kid)
        if key is not None and self._fresh(self._clock()):
            return key
        async with self._loop_lock():
            now = self._clock()
            key = self._keys.get(kid)
            if key is not None and self._fresh(now):
                return key  # another request refetched while this one waited
            if self._may_fetch(now):
                await self._refresh(now)
                now = self._clock()
            key = self._keys.get(kid)
            if self._usable(now):
                if key is None:
                    raise UnknownKeyError(kid)
                return key
            raise PortalKeysUnavailableError(
                f"the partner portal's keys cannot be fetched ({self._last_failure})",
                self._retry_after(now),
            )

    async def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            keys = usable_keys(await self._fetch(self.url, self._timeout_seconds))
            if not keys:
                raise ValueError("the key set holds no RS256 or ES256 signing key with a kid")
        except (httpx.HTTPError, ValueError) as exc:
            self._last_failure = _describe(exc)
            kept = f"keeping {len(self._keys)} keys fetched before" if self._keys else "no keys"
            logger.warning("portal JWKS %s: %s; %s", self.url, self._last_failure, kept)
            return
        changed = set(keys) != set(self._keys)
        self._keys, self._fetched_at, self._last_failure = keys, now, None
        if changed:
            logger.info("portal JWKS %s: keys %s", self.url, ", ".join(sorted(keys)))


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"it answered HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException):
        return "it did not answer in time"
    if isinstance(exc, httpx.HTTPError):
        return f"it cannot be reached ({type(exc).__name__})"
    return str(exc) or type(exc).__name__
