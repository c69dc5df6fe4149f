"""Unanswered questions grouped by meaning, as they arrive (online leader clustering).

Each unanswered question is embedded (the app's MiniLM query embedder) and joins the
cluster whose leader (its first question's vector) is nearest, when the cosine
similarity reaches ``threshold``; otherwise it leads a new cluster. Leaders never move,
so clusters can be shared by several ingest processes: each keeps the leaders it knows
in memory, and before creating a cluster it takes the clusters' lock row and looks at
the clusters created since, so two processes never create two clusters for one
meaning. The dashboard's "top unanswered" is then a GROUP BY on the turns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from partners.analytics.models import AnalyticsState, UnansweredCluster

Vectors = npt.NDArray[np.float32]
EmbedFunction = Callable[[Sequence[str]], Vectors]

# all-MiniLM-L6-v2: rephrasings of one question score about 0.6-0.9, different
# questions on the program about 0.2-0.5 (tests/partners/analytics/test_clusters.py).
DEFAULT_THRESHOLD = 0.55
LOCK_ROW = "clusters_lock"
DIMENSION = 384


class Clusterer:
    """Assigns unanswered questions to clusters; one per ingest process."""

    def __init__(self, embed: EmbedFunction, threshold: float = DEFAULT_THRESHOLD) -> None:
        """Use ``embed`` (texts to L2-normalised float32 rows) and a cosine ``threshold``."""
        self.embed = embed
        self.threshold = threshold
        self._ids: list[int] = []
        self._leaders: Vectors = np.zeros((0, DIMENSION), dtype=np.float32)

    @property
    def known(self) -> int:
        """How many clusters this process knows."""
        return len(self._ids)

    def _load_newer(self, session: Session) -> None:
        newest = self._ids[-1] if self._ids else 0
        rows = session.execute(
            select(UnansweredCluster.id, UnansweredCluster.centroid)
            .where(UnansweredCluster.id > newest)
            .order_by(UnansweredCluster.id)
        ).all()
        if not rows:
            return
        vectors = np.stack([np.frombuffer(blob, dtype=np.float32) for _, blob in rows])
        self._ids.extend(int(cluster_id) for cluster_id, _ in rows)
        self._leaders = np.vstack([self._leaders, vectors.astype(np.float32)])

    def _nearest(self, vector: Vectors) -> int | None:
        if not self._ids:
            return None
        scores = self._leaders @ vector
        best = int(np.argmax(scores))
        return self._ids[best] if float(scores[best]) >= self.threshold else None

    def assign(self, session: Session, texts: Sequence[str], now: dt.datetime) -> list[int]:
        """Return the cluster id of each text, creating clusters where none is near.

        Runs in the caller's transaction; creating a cluster locks the clusters'
        row until that transaction ends.
        """
        if not texts:
            return []
        vectors = np.asarray(self.embed(list(texts)), dtype=np.float32)
        self._load_newer(session)
        locked = False
        result: list[int] = []
        for vector in vectors:
            found = self._nearest(vector)
            if found is None and not locked:
                _lock(session)
                locked = True
                self._load_newer(session)  # created by others since we last looked
                found = self._nearest(vector)
            if found is None:
                row = UnansweredCluster(centroid=vector.tobytes(), created_at=now)
                session.add(row)
                session.flush()
                self._ids.append(row.id)
                self._leaders = np.vstack([self._leaders, vector[None, :]])
                found = row.id
            result.append(found)
        return result

    def forget(self) -> None:
        """Drop what this process knows (after a rolled-back transaction)."""
        self._ids = []
        self._leaders = np.zeros((0, DIMENSION), dtype=np.float32)


def _lock(session: Session) -> None:
    """Hold the clusters' lock row until the transaction ends (PostgreSQL and SQLite)."""
    changed = session.execute(
        update(AnalyticsState)
        .where(AnalyticsState.name == LOCK_ROW)
        .values(position=AnalyticsState.position + 1)
    )
    if not getattr(changed, "rowcount", 0):
        session.add(AnalyticsState(name=LOCK_ROW, position=1))
        session.flush()
