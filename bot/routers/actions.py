"""Rasa's action webhook, served by rasa-sdk's executor inside the app process.

Rasa posts each custom-action call here (``endpoints.yml``). Answers follow the
rasa-sdk action server's protocol, status codes included, so Rasa treats this
route exactly like a stand-alone ``rasa run actions``.

Only Rasa may call it: each call must carry the shared secret ``PA_ACTION_SECRET`` in
the ``X-Action-Secret`` header (endpoints.yml sends it), or it gets 401 before its
body is read; without a configured secret every call gets 503. A body larger than
``PA_ACTION_BODY_LIMIT`` bytes gets 413 without being read whole.

``ActionWebhook`` answers these calls as plain ASGI, ahead of the app's routing,
dependencies and its other middleware: every turn of every conversation makes one, and
that machinery cost about a tenth of the app's time per action call (0.14 of 1.8 ms,
docs/benchmarks.md). ``GET /actions`` still goes through the router.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from knowledge import live
from settings import Settings

logger = logging.getLogger(__name__)

router = APIRouter(tags=["actions"])

ACTIONS_PACKAGE = "actions"
WEBHOOK_PATH = "/webhook"
SECRET_HEADER = "X-Action-Secret"
ACTION_FAILED_MESSAGE = (
    "Sorry, something went wrong on our side while answering that. "
    "Please try again in a moment; the error is logged for the team."
)


def build_executor() -> ActionExecutor:
    """Create an executor with every action of the ``actions`` package registered."""
    executor = ActionExecutor()
    executor.register_package(ACTIONS_PACKAGE)
    return executor


def _executor(request: Request) -> ActionExecutor:
    executor: ActionExecutor = request.app.state.action_executor
    return executor


class _BodyTooLargeError(Exception):
    pass


def refusal(request: Request, settings: Settings) -> JSONResponse | None:
    """Return the answer to a call that is not Rasa's, or None for Rasa's."""
    expected = settings.action_secret
    if not expected:
        logger.error("action call refused: PA_ACTION_SECRET is not set")
        return JSONResponse({"error": "the action webhook is not configured"}, 503)
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        logger.warning("action call without the right %s refused", SECRET_HEADER)
        return JSONResponse({"error": f"missing or wrong {SECRET_HEADER} header"}, 401)
    return None


async def _body(request: Request, limit: int) -> bytes:
    """Read the body, stopping as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyTooLargeError
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


class ActionWebhook:
    """Answers ``POST /webhook`` (Rasa's action calls); passes everything else on.

    Added as the app's outermost middleware of its own, so it runs after Starlette has
    set the request's app (``request.app.state``) and inside its server-error handler.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap the rest of the app."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer an action call here; hand any other request to the app."""
        if scope["type"] == "http" and scope["path"] == WEBHOOK_PATH and scope["method"] == "POST":
            response = await webhook(Request(scope, receive))
            await response(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _json(content: Any) -> Response:
    # orjson: the same bytes as JSONResponse's compact UTF-8, in a fraction of the time.
    return Response(orjson.dumps(content), media_type="application/json")


async def webhook(request: Request) -> Response:
    """Run the custom action Rasa asks for and return its events and messages."""
    settings: Settings = request.app.state.settings
    refused = refusal(request, settings)
    if refused is not None:
        return refused
    try:
        body = await _body(request, settings.action_body_limit)
    except _BodyTooLargeError:
        logger.warning("action call over %d bytes refused", settings.action_body_limit)
        return JSONResponse(
            {"error": f"the action call is larger than {settings.action_body_limit} bytes"}, 413
        )
    try:
        # orjson: the body holds the whole conversation, hundreds of KB in a long one.
        action_call: dict[str, Any] = orjson.loads(body)
    except orjson.JSONDecodeError:
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    if not isinstance(action_call, dict):
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    try:
        # One catalogue release for the whole action, even if a newer one is installed
        # meanwhile (knowledge.live); its worker threads inherit the pin.
        with live.pinned():
            result = await _executor(request).run(action_call)
    except ActionExecutionRejection as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, 400)
    except ActionNotFoundException as exc:
        logger.error("unknown action %s", exc.action_name)
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, 404)
    except ActionMissingDomainException as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, 449)
    except Exception:
        # An action that fails must not leave the partner with silence: log the
        # traceback here and answer with an apology Rasa relays to the channel.
        logger.exception("action %s failed", action_call.get("next_action"))
        return JSONResponse({"events": [], "responses": [{"text": ACTION_FAILED_MESSAGE}]})
    return _json(result.model_dump() if result else None)


@router.get("/actions", include_in_schema=False)
async def list_actions(request: Request) -> JSONResponse:
    """List the registered actions, as rasa-sdk's server does (for Rasa only)."""
    refused = refusal(request, request.app.state.settings)
    if refused is not None:
        return refused
    return JSONResponse([item.model_dump() for item in _executor(request).list_actions()])
