"""First-start setup of the partner store: migrate it, then seed the sample mode's records.

The app's lifespan runs ``init_db`` before the first request (``bot.main``); tests and
scripts call it for a store of their own. It sits above the modules it drives, so none
of them imports another in a loop: ``partners.db`` opens engines and sessions,
``partners.migrate`` owns the schema (Alembic), ``partners.seed`` writes the sample
partners and ``partners.operators`` the sample operator.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from partners.catalogue import program_catalogue
from partners.db import engine_for
from partners.migrate import upgrade
from partners.models import Partner
from partners.operators import seed_sample_operator
from partners.seed import seed_sample_data
from settings import Settings, get_settings

logger = logging.getLogger(__name__)


def init_db(settings: Settings | None = None, *, engine: Engine | None = None) -> Engine:
    """Migrate the partner store to the latest schema and seed it on first start.

    Idempotent: a second call finds the schema current and the partners present.
    Sample partners are seeded only when ``seed_sample_data`` is true and the store
    has no partner yet; the sample operator (``ops@example.com``) when it has no
    operator account yet.

    Args:
        settings: Where the store is and whether to seed; the process settings if None.
        engine: An engine to use instead of the one for ``settings``' URL.

    Returns:
        The engine of the initialised store.

    """
    settings = settings or get_settings()
    engine = engine or engine_for(settings.effective_database_url)
    upgrade(engine)
    if settings.seed_sample_data:
        with Session(engine) as session:
            partners = session.scalar(select(func.count()).select_from(Partner)) or 0
        if partners == 0:
            try:
                seed_sample_data(engine, program_catalogue())
            except (IntegrityError, RuntimeError) as exc:
                # Another app process seeded the same store at the same moment.
                logger.info("sample partners already seeded by another process (%s)", exc)
        # Its own check: a store seeded before operator accounts existed gets one too.
        seed_sample_operator(engine)
    logger.info("partner store ready at %s", engine.url.render_as_string(hide_password=True))
    return engine
