"""Keep this app process on the newest catalogue release, without a restart.

Every app process polls the partner store every ``PA_CATALOGUE_REFRESH_SECONDS``
(``partners.releases.latest_version``: one tiny query). When a newer release is
there, a worker thread builds it (catalogue checks, documents, search index from
stored vectors, entity names: seconds, no embedding) and installs it with one
reference swap (``knowledge.live``); the event loop never does that work. A turn
that started on the old release finishes on it.

At start the app installs the newest release before it warms up, so a restarted
process serves what the others serve. A store that cannot be read leaves the
current release in service (a warning in the log); a release that cannot be built
is logged once and skipped until a newer one is published.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from knowledge import live
from partners.db import engine_for
from partners.releases import latest_version, load_release
from settings import Settings

logger = logging.getLogger(__name__)


class CatalogueRefresher:
    """Installs the partner store's newest catalogue release in this process.

    Args:
        engine: The partner store.

    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._broken: int | None = None  # a release that failed to build: not retried

    def refresh(self) -> live.Release | None:
        """Install the newest release if it is newer than the served one (blocking).

        Returns:
            The release installed, or None when the served one is the newest.

        Raises:
            SQLAlchemyError: The store cannot be read (the served release stays).

        """
        served = live.current().version
        with Session(self._engine) as session:
            newest = latest_version(session)
            if newest <= served or newest == self._broken:
                return None
            started = time.perf_counter()
            try:
                release = load_release(session, newest)
            except SQLAlchemyError:
                raise
            except Exception:
                self._broken = newest
                logger.exception(
                    "catalogue release %d cannot be served; still serving release %d",
                    newest,
                    served,
                )
                return None
        live.install(release)
        logger.info(
            "catalogue release %d installed (%d courses, %d documents) in %.1f s",
            release.version,
            len(release.catalogue.courses),
            len(release.engine.documents),
            time.perf_counter() - started,
        )
        return release

    async def refresh_in_thread(self) -> None:
        """Refresh off the event loop; a store that cannot be read only logs a warning."""
        try:
            await asyncio.to_thread(self.refresh)
        except SQLAlchemyError as exc:
            logger.warning(
                "catalogue refresh: partner store unreadable (%s); still serving release %d",
                " ".join(str(exc).split())[:300],
                live.current().version,
            )

    async def run(self, interval: float) -> None:
        """Refresh every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            await self.refresh_in_thread()


async def install_at_start(settings: Settings) -> CatalogueRefresher:
    """Install the newest release now (before warm-up) and return the refresher."""
    refresher = CatalogueRefresher(engine_for(settings.effective_database_url))
    await refresher.refresh_in_thread()
    return refresher


def start(refresher: CatalogueRefresher, settings: Settings) -> asyncio.Task[None]:
    """Start polling every ``PA_CATALOGUE_REFRESH_SECONDS`` in the background."""
    return asyncio.create_task(
        refresher.run(settings.catalogue_refresh_seconds), name="catalogue-refresh"
    )


async def stop(task: asyncio.Task[None]) -> None:
    """Stop polling (at shutdown)."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
