"""Tables of the analytics (migration 0008): conversations, turns, clusters, progress.

Written only by the ingest (``partners.analytics.ingest``) from Rasa's events; a turn
is one user message and what the assistant did about it, keyed by the conversation
(``sender_id``) and the message's id, so a redelivered event never makes a second one.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from partners.models import Base

SENDER_LIMIT = 200
MESSAGE_ID_LIMIT = 100


class AnalyticsConversation(Base):
    """One conversation (a Rasa sender id) as analytics counts it."""

    __tablename__ = "analytics_conversations"
    __table_args__ = (
        Index("ix_analytics_conversations_last_at", "last_at"),
        Index("ix_analytics_conversations_started_day", "started_day", "channel"),
    )

    sender_id: Mapped[str] = mapped_column(String(SENDER_LIMIT), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), doc="web, slack or api.")
    partner_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    tier: Mapped[str | None] = mapped_column(
        String(16), nullable=True, doc="The partner's tier at the conversation's first turn."
    )
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    started_day: Mapped[dt.date] = mapped_column(Date, doc="The UTC date of ``started_at``.")
    last_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    turns: Mapped[int] = mapped_column(Integer, default=0)


class AnalyticsTurn(Base):
    """One user message and the assistant's answer to it."""

    __tablename__ = "analytics_turns"
    __table_args__ = (
        UniqueConstraint("sender_id", "message_id"),
        Index("ix_analytics_turns_day_channel", "day", "channel"),
        Index("ix_analytics_turns_sender_at", "sender_id", "at"),
        Index("ix_analytics_turns_cluster_at", "cluster_id", "at"),
        Index("ix_analytics_turns_at", "at"),
        Index("ix_analytics_turns_outcome_day", "outcome", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(String(SENDER_LIMIT))
    message_id: Mapped[str] = mapped_column(String(MESSAGE_ID_LIMIT))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), doc="The user message.")
    day: Mapped[dt.date] = mapped_column(Date, doc="The UTC date of ``at`` (per-day counts).")
    channel: Mapped[str] = mapped_column(String(8))
    tier: Mapped[str | None] = mapped_column(String(16), nullable=True)
    user_text: Mapped[str | None] = mapped_column(
        Text, nullable=True, doc="None once the retention period has passed."
    )
    intent: Mapped[str | None] = mapped_column(String(100), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    outcome: Mapped[str | None] = mapped_column(
        String(24), nullable=True, doc="None for small talk and account steps."
    )
    latency_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    bot_texts: Mapped[str | None] = mapped_column(
        Text, nullable=True, doc="JSON list of the answer's texts; None after retention."
    )
    cluster_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trace: Mapped[str] = mapped_column(
        Text, default="{}", doc="JSON: the actions run and outcomes marked (the ingest's state)."
    )
    closed: Mapped[bool] = mapped_column(default=False, doc="The assistant listens again.")


class UnansweredCluster(Base):
    """A group of unanswered questions of one meaning: its leader's embedding."""

    __tablename__ = "analytics_clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    centroid: Mapped[bytes] = mapped_column(LargeBinary, doc="float32, L2-normalised.")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AnalyticsEventKey(Base):
    """An event already counted (a redelivery of it is skipped); kept a few days."""

    __tablename__ = "analytics_event_keys"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class AnalyticsState(Base):
    """Named counters of the ingest: the SQLite source's cursor, the clusters' lock row."""

    __tablename__ = "analytics_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
