"""The app process: action webhook, program and partner API, and the web page."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy.exc import SQLAlchemyError

from bot import analytics_ingest, catalogue_refresh, logs, rasa_client, rate_limits
from bot.api_errors import documented, store_unavailable
from bot.reminder_scheduler import ReminderScheduler
from bot.routers import (
    actions,
    admin,
    analytics,
    audit,
    auth,
    chat,
    chat_stream,
    feedback,
    handoff,
    handoff_live,
    health,
    knowledge,
    linking,
    ops,
    partner_api,
    reminders,
    web,
    widget,
)
from bot.sync_scheduler import SyncScheduler
from partners.auth import jwt_secret
from partners.prestart import init_db
from settings import get_settings

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load what every request needs once, before the first request."""
    settings = get_settings()
    logs.configure(settings.log_level)
    app.state.settings = settings
    app.state.action_executor = actions.build_executor()
    jwt_secret(settings)  # refuse to start without a token signing key (PA_JWT_SECRET)
    init_db(settings)  # migrate the partner store (and seed it in the sample mode)
    # The newest published catalogue first, so warm-up loads what will be served.
    refresher = await catalogue_refresh.install_at_start(settings)
    knowledge.warm_up()
    # Everything loaded so far lives as long as the process. Out of the collector's
    # sight, a full collection no longer walks torch, spaCy and faiss objects with
    # every request waiting (docs/benchmarks.md: such pauses set the tail latency).
    gc.collect()
    gc.freeze()
    refreshing = catalogue_refresh.start(refresher, settings)
    # The office's export on its schedule (PA_SYNC_SOURCE, PA_SYNC_SCHEDULE); no work now.
    app.state.sync_scheduler = SyncScheduler(settings)
    app.state.sync_scheduler.start()
    # The reminders on their schedule (PA_REMINDERS_ENABLED, PA_REMINDERS_SCHEDULE).
    app.state.reminder_scheduler = ReminderScheduler(settings)
    app.state.reminder_scheduler.start()
    # Rasa's events into the analytics tables; the daily transcript retention.
    analytics_running = analytics_ingest.start(settings)
    # One pool of connections to Rasa for every request (bot/rasa_client.py).
    app.state.rasa_connections = rasa_client.connection_pool()
    logger.info("app ready")
    yield
    await app.state.rasa_connections.aclose()
    analytics_ingest.stop(analytics_running)
    app.state.reminder_scheduler.shutdown()
    app.state.sync_scheduler.shutdown()
    await catalogue_refresh.stop(refreshing)


def create_app() -> FastAPI:
    """Build the FastAPI application with every router mounted."""
    app = FastAPI(
        title="Partner Assistant",
        version="0.1.0",
        summary="Program knowledge, partner status and course recommendations.",
        lifespan=lifespan,
    )
    # Every /v1 route counts against the API's rate limits, chat also against its own
    # (bot/rate_limits.py); `documented` lists each router's error answers in OpenAPI.
    app.state.rate_limits = rate_limits.RateLimits(get_settings())
    app.add_exception_handler(SQLAlchemyError, store_unavailable)
    api = [Depends(rate_limits.limit_api)]
    app.include_router(health.router)
    app.include_router(actions.router)
    # Every sign-in (/v1/auth: password, portal, company account); each route adds its own
    # answers in bot/routers/auth.py.
    app.include_router(auth.router, dependencies=api, responses=documented(401, 429, 503))
    app.include_router(
        partner_api.router, dependencies=api, responses=documented(401, 403, 404, 422, 429, 503)
    )
    app.include_router(knowledge.router, dependencies=api, responses=documented(404, 422, 429, 503))
    app.include_router(
        chat.router,
        dependencies=[*api, Depends(rate_limits.limit_chat)],
        responses=documented(400, 401, 403, 422, 429, 503),
    )
    app.include_router(
        chat_stream.router, dependencies=api, responses=documented(401, 403, 422, 429)
    )
    app.include_router(
        feedback.router, dependencies=api, responses=documented(400, 401, 403, 404, 422, 429, 503)
    )
    app.include_router(feedback.internal_router, include_in_schema=False)
    app.include_router(
        linking.router,
        dependencies=api,
        responses=documented(400, 401, 403, 404, 410, 422, 429, 503),
    )
    app.include_router(
        handoff.router, dependencies=api, responses=documented(400, 401, 403, 404, 422, 429, 503)
    )
    app.include_router(
        handoff_live.router,
        dependencies=api,
        responses=documented(400, 401, 403, 404, 422, 429, 503),
    )
    app.include_router(
        admin.router, dependencies=api, responses=documented(400, 401, 403, 422, 429, 503)
    )
    app.include_router(
        reminders.router, dependencies=api, responses=documented(400, 401, 403, 404, 422, 429, 503)
    )
    app.include_router(
        reminders.admin_router, dependencies=api, responses=documented(400, 401, 403, 422, 429, 503)
    )
    app.include_router(
        audit.router, dependencies=api, responses=documented(401, 403, 422, 429, 503)
    )
    app.include_router(
        analytics.router, dependencies=api, responses=documented(401, 403, 404, 422, 429, 503)
    )
    app.include_router(widget.api_router, dependencies=api, responses=documented(429))
    app.include_router(web.router)
    app.include_router(ops.router)
    app.include_router(widget.router)
    web.mount_static(app)
    # The sites allowed to embed the widget (PA_WIDGET_ALLOWED_ORIGINS) get CORS on its API.
    app.add_middleware(widget.WidgetCors, origins=get_settings().widget_origins)
    # Rasa's action calls (POST /webhook), one per turn, skip the routing and the other
    # middleware: added last, it is the outermost of the app's own (bot/routers/actions.py).
    app.add_middleware(actions.ActionWebhook)
    return app


app = create_app()
