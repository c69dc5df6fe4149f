"""Rate limits per client address and per account: sign-in, link codes, chat and the API.

Counting is done by the maintained ``limits`` library with sliding-window counters:
the count of the current fixed window plus the previous window's, weighted by how much
of it still overlaps the last minute (or hour), so no burst fits at a window's edge;
two counters per key, so a flood of made-up partner ids costs little memory or time.
The counts live in this process's memory by default, or in Redis when
``PA_RATE_LIMIT_STORAGE_URL`` names one, so that every app process of a deployment
shares them. Each limit is a
setting in ``limits`` notation (``settings/__init__.py``, ``.env.example``); an empty value
switches it off.

A refused request gets 429, a ``Retry-After`` header (seconds until the weighted
count lets one more through) and the reason in the JSON ``detail``. If Redis
cannot be reached, requests pass and the log says so once a minute: the counts
protect the service, they must not take it down with them.

The client address is ``request.client.host``: behind a load balancer uvicorn's
``--proxy-headers --forwarded-allow-ips=<balancer>`` make it the real client's.
"""

from __future__ import annotations

import inspect
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from fastapi import HTTPException, Request, status
from limits import RateLimitItem, parse_many
from limits import strategies as sync_strategies
from limits.aio import strategies as async_strategies
from limits.aio.storage import RedisStorage
from limits.errors import StorageError
from limits.storage import MemoryStorage

from partners.auth import InvalidTokenError, MissingSecretError, verify_token
from settings import Settings

logger = logging.getLogger(__name__)

Scope = Literal["sign-in", "sign-in failures", "link codes", "chat", "api"]
KEY_PREFIX = "pa-rate-limits"
# Redis is on the internal network: a store that does not answer within this
# long is treated as down rather than holding the request.
REDIS_TIMEOUT_SECONDS = 0.5
_STORE_DOWN_LOG_INTERVAL = 60.0
# Account names come from request bodies (sign-in's username): cap what is stored.
_ACCOUNT_KEY_LENGTH = 64


class RateLimitedError(HTTPException):
    """429 Too Many Requests, with ``Retry-After`` and the reason."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"{reason}; try again in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Rule:
    """The limits of one scope for one kind of key (client address or account)."""

    scope: Scope
    key_kind: Literal["address", "account"]
    limits: tuple[RateLimitItem, ...]
    reason: str


def parse_limits(setting_name: str, value: str) -> tuple[RateLimitItem, ...]:
    """Parse a limit setting such as ``"30/minute;300/hour"``; empty means none.

    Raises:
        ValueError: The value is not in ``limits`` notation (named after the setting).

    """
    if not value.strip():
        return ()
    try:
        return tuple(parse_many(value))
    except ValueError as exc:
        raise ValueError(
            f"PA_{setting_name.upper()}={value!r} is not a rate limit such as "
            f"'30/minute' or '10/minute;50/hour'"
        ) from exc


@dataclass(frozen=True)
class Rules:
    """Every rule of the app, read from the settings."""

    sign_in_address: Rule
    sign_in_failures_account: Rule
    link_address: Rule
    link_account: Rule
    chat_address: Rule
    chat_account: Rule
    api_address: Rule
    api_account: Rule

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        """Build the rules from ``PA_RATE_LIMIT_*``."""

        def rule(scope: Scope, kind: Literal["address", "account"], name: str, why: str) -> Rule:
            return Rule(scope, kind, parse_limits(name, getattr(settings, name)), why)

        return cls(
            sign_in_address=rule(
                "sign-in",
                "address",
                "rate_limit_signin_per_address",
                "too many sign-in attempts from your address",
            ),
            sign_in_failures_account=rule(
                "sign-in failures",
                "account",
                "rate_limit_signin_failures_per_account",
                "too many failed sign-ins for this partner id",
            ),
            link_address=rule(
                "link codes",
                "address",
                "rate_limit_link_per_address",
                "too many link confirmations from your address",
            ),
            link_account=rule(
                "link codes",
                "account",
                "rate_limit_link_per_account",
                "too many link confirmations for your account",
            ),
            chat_address=rule(
                "chat",
                "address",
                "rate_limit_chat_per_address",
                "too many chat messages from your address",
            ),
            chat_account=rule(
                "chat",
                "account",
                "rate_limit_chat_per_account",
                "you are sending chat messages faster than the assistant accepts them",
            ),
            api_address=rule(
                "api",
                "address",
                "rate_limit_api_per_address",
                "too many requests from your address",
            ),
            api_account=rule(
                "api",
                "account",
                "rate_limit_api_per_account",
                "too many requests for your account",
            ),
        )


class RateLimits:
    """The app's rate limiter: the rules and the store that counts for them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rules = Rules.from_settings(settings)
        url = settings.rate_limit_storage_url.strip()
        self.storage_url = _without_password(url)  # for the log
        self._limiter: Any
        if url:
            # Redis through its asyncio client, so a count never blocks the event loop.
            storage = RedisStorage(
                f"async+{url}",
                implementation="redispy",
                key_prefix=KEY_PREFIX,
                wrap_exceptions=True,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            self._limiter = async_strategies.SlidingWindowCounterRateLimiter(storage)
        else:
            # Plain in-process counters (no I/O): the synchronous store serves any loop.
            self._limiter = sync_strategies.SlidingWindowCounterRateLimiter(
                MemoryStorage(wrap_exceptions=True)
            )
        self._store_down_logged_at = -math.inf

    async def _call(self, method: str, item: RateLimitItem, *identifiers: str) -> Any:
        result = getattr(self._limiter, method)(item, *identifiers)
        return await result if inspect.isawaitable(result) else result

    async def _retry_after(self, item: RateLimitItem, identifiers: tuple[str, ...]) -> int:
        stats = await self._call("get_window_stats", item, *identifiers)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def _apply(self, method: Literal["hit", "test"], rule: Rule, key: str | None) -> None:
        if key is None or not rule.limits:
            return
        identifiers = (rule.scope, rule.key_kind, key[:_ACCOUNT_KEY_LENGTH])
        try:
            for item in rule.limits:
                if not await self._call(method, item, *identifiers):
                    retry_after = await self._retry_after(item, identifiers)
                    logger.info(
                        "rate limit %s per %s reached (%s) by %r",
                        rule.scope,
                        rule.key_kind,
                        item,
                        identifiers[2],
                    )
                    raise RateLimitedError(rule.reason, retry_after)
        except StorageError as exc:
            self._log_store_down(exc)

    async def hit(self, rule: Rule, key: str | None) -> None:
        """Count one request against ``rule`` for ``key`` (no key: not counted).

        Raises:
            RateLimitedError: A limit of the rule is used up.

        """
        await self._apply("hit", rule, key)

    async def check(self, rule: Rule, key: str | None) -> None:
        """Refuse when ``rule`` is used up for ``key``, without counting this request.

        Raises:
            RateLimitedError: A limit of the rule is used up.

        """
        await self._apply("test", rule, key)

    def _log_store_down(self, exc: StorageError) -> None:
        now = time.monotonic()
        if now - self._store_down_logged_at >= _STORE_DOWN_LOG_INTERVAL:
            self._store_down_logged_at = now
            logger.error(
                "rate limits not enforced: the store at %s failed (%s); requests pass",
                self.storage_url,
                exc.storage_error,
            )


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def rate_limits(request: Request) -> RateLimits:
    """Return the app's rate limiter (``bot.main.create_app`` sets it up)."""
    limiter: RateLimits = request.app.state.rate_limits
    return limiter


def client_address(request: Request) -> str:
    """Return the client's address as uvicorn reports it (see the module docstring)."""
    return request.client.host if request.client else "unknown"


def bearer_account(request: Request) -> str | None:
    """Return the account a request's bearer token names, if it has a valid one.

    Only the signature and expiry are checked (no database): enough to know whose
    quota to count, since nobody can forge a token that names someone else.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    settings = rate_limits(request).settings
    try:
        return verify_token(token, settings).subject
    except (InvalidTokenError, MissingSecretError):
        return None


async def limit_api(request: Request) -> None:
    """Router dependency for every ``/v1`` route: per client address and per account.

    Raises:
        RateLimitedError: 429 with ``Retry-After``.

    """
    limiter = rate_limits(request)
    await limiter.hit(limiter.rules.api_address, client_address(request))
    await limiter.hit(limiter.rules.api_account, bearer_account(request))


async def limit_chat(request: Request) -> None:
    """Router dependency for ``/v1/chat*``: per client address and per signed-in account.

    Raises:
        RateLimitedError: 429 with ``Retry-After``.

    """
    limiter = rate_limits(request)
    await limiter.hit(limiter.rules.chat_address, client_address(request))
    await limiter.hit(limiter.rules.chat_account, bearer_account(request))
