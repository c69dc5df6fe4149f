"""Unanswered questions cluster by meaning with the app's own MiniLM embedder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from bot.analytics_ingest import embed_questions
from partners.analytics.clusters import Clusterer
from partners.db import create_db_engine
from partners.prestart import init_db
from tests.partners.fixtures import store_settings

NOW = dt.datetime(2026, 12, 4, tzinfo=dt.timezone.utc)


def test_rephrasings_share_a_cluster_and_other_questions_do_not(tmp_path: Path) -> None:
    settings = store_settings(f"sqlite:///{tmp_path / 'p.db'}", tmp_path, seed_sample_data=False)
    engine = init_db(settings, engine=create_db_engine(settings.effective_database_url))
    questions = [
        "Can I bring my dog to the Barcelona partner summit?",
        "how do I change my billing address",
        "Are pets allowed at the partner summit?",
        "where can I update our invoice address",
        "is there parking at the summit venue",
        "can I get a refund for a failed exam",
    ]
    with Session(engine) as session:
        pets, billing, pets2, billing2, parking, refund = Clusterer(embed_questions).assign(
            session, questions, NOW
        )
    assert pets == pets2 and billing == billing2
    assert len({pets, billing, parking, refund}) == 4
