"""The error answers of the ``/v1`` API, as the OpenAPI document describes them.

Every error is JSON ``{"detail": ...}`` with the reason: a sentence for the caller, or
for a request that does not match its parameters (422) the list of what is wrong
where. ``bot.main`` attaches the statuses each router can answer, so the document
(``/openapi.json``, ``/docs``) lists them all; ``tests/bot/test_openapi_fuzz.py``
checks every answer against it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from partners.messages import TROUBLE

logger = logging.getLogger(__name__)

# "Try again in a minute", as TROUBLE says.
RETRY_AFTER_SECONDS = 60
TROUBLE_HEADERS = {"Retry-After": str(RETRY_AFTER_SECONDS)}


class ErrorOut(BaseModel):
    """An error, with the reason fit to show the caller."""

    detail: str


class ValidationIssue(BaseModel):
    """One way a request does not match its parameters or body."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """A request that does not match: what is wrong where, or a sentence."""

    detail: str | list[ValidationIssue]


_RETRY_AFTER = {
    "description": "Seconds until trying again makes sense.",
    "schema": {"type": "integer", "minimum": 1},
}
_ANSWERS: dict[int, dict[str, Any]] = {
    400: {
        "model": ErrorOut,
        "description": "The request cannot be carried out (for example a body that is "
        "not JSON or a form that cannot be read); see detail.",
    },
    401: {
        "model": ErrorOut,
        "description": "Sign in first, or the token is not valid (forged, expired or "
        "signed out); the detail says which.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    403: {"model": ErrorOut, "description": "Signed in, but not allowed to do this."},
    404: {"model": ErrorOut, "description": "There is no such thing."},
    410: {"model": ErrorOut, "description": "The link code is unknown, used or expired."},
    422: {
        "model": ValidationErrorOut,
        "description": "The request does not match the documented parameters or body.",
    },
    429: {
        "model": ErrorOut,
        "description": "Too many requests from this client address or for this account.",
        "headers": {"Retry-After": {**_RETRY_AFTER, "required": True}},
    },
    503: {
        "model": ErrorOut,
        "description": "A dependency is down or too busy (assistant, partner store, "
        "search index, passcode checks); try again later.",
        "headers": {"Retry-After": _RETRY_AFTER},
    },
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return the OpenAPI ``responses`` entries for these error statuses."""
    return {code: _ANSWERS[code] for code in statuses}


async def store_unavailable(request: Request, error: Exception) -> JSONResponse:
    """Answer a request whose partner store failed: 503, try again in a minute.

    Registered in ``bot.main`` for SQLAlchemy's errors, so no route answers such an
    outage with a stack trace or a bare 500; the log gets the cause.
    """
    logger.error("partner store failed on %s %s: %r", request.method, request.url.path, error)
    return JSONResponse({"detail": TROUBLE}, status_code=503, headers=TROUBLE_HEADERS)
