"""What partner features need at run time: settings, the store, the catalogue, the date.

The API builds one per request from the settings dependency (``bot.deps``); chat
actions (which rasa-sdk constructs without arguments) use ``default_context``, through
``actions.base.OffLoopAction.context``. Either way a database session is opened one
way, ``context.session()`` (a context manager). Tests pass their own, so nothing
reaches for globals they cannot replace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from partners.catalogue import ProgramCatalogue, program_catalogue
from partners.db import engine_for
from settings import Settings, get_settings


@dataclass(frozen=True)
class PartnerContext:
    """Dependencies of the partner features."""

    settings: Settings
    engine: Engine
    catalogue: ProgramCatalogue
    clock: Callable[[], dt.date] = field(default=dt.date.today)

    def session(self) -> Session:
        """Open a session on the partner store (use it as a context manager)."""
        return Session(self.engine, expire_on_commit=False)

    def today(self) -> dt.date:
        """Today's date, from the context's clock."""
        return self.clock()


def context_for(settings: Settings) -> PartnerContext:
    """Build the context for ``settings``: its store's shared engine, the real catalogue."""
    return PartnerContext(
        settings=settings,
        engine=engine_for(settings.effective_database_url),
        catalogue=program_catalogue(),
    )


def default_context() -> PartnerContext:
    """Build the context of this process (``PA_*`` settings)."""
    return context_for(get_settings())
