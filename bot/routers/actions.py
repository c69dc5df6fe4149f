"""Rasa's action webhook, served by rasa-sdk's executor inside the app process.

Rasa posts each custom-action call here (``endpoints.yml``). Answers follow the
rasa-sdk action server's protocol, status codes included, so Rasa treats this
route exactly like a stand-alone ``rasa run actions``.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)

logger = logging.getLogger(__name__)

router = APIRouter(tags=["actions"])

ACTIONS_PACKAGE = "actions"
ACTION_FAILED_MESSAGE = (
    "Sorry, something went wrong on our side while answering that. "
    "Please try again in a moment; the team has been notified."
)


def build_executor() -> ActionExecutor:
    """Create an executor with every action of the ``actions`` package registered."""
    executor = ActionExecutor()
    executor.register_package(ACTIONS_PACKAGE)
    return executor


def _executor(request: Request) -> ActionExecutor:
    executor: ActionExecutor = request.app.state.action_executor
    return executor


@router.post("/webhook", include_in_schema=False)
async def webhook(request: Request) -> JSONResponse:
    """Run the custom action Rasa asks for and return its events and messages."""
    try:
        # orjson: the body holds the whole conversation, hundreds of KB in a long one.
        action_call: dict[str, Any] = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    if not isinstance(action_call, dict):
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    try:
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
    return JSONResponse(result.model_dump() if result else None)


@router.get("/actions", include_in_schema=False)
async def list_actions(request: Request) -> list[dict[str, Any]]:
    """List the registered actions, as rasa-sdk's server does."""
    return [item.model_dump() for item in _executor(request).list_actions()]
