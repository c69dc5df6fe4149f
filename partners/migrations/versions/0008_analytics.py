"""Analytics: conversations and turns from Rasa's event broker, unanswered clusters, state.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_conversations",
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("partner_id", sa.String(length=16), nullable=True),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_day", sa.Date(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sender_id", name=op.f("pk_analytics_conversations")),
    )
    op.create_index("ix_analytics_conversations_last_at", "analytics_conversations", ["last_at"])
    op.create_index(
        "ix_analytics_conversations_started_day",
        "analytics_conversations",
        ["started_day", "channel"],
    )
    op.create_table(
        "analytics_turns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("user_text", sa.Text(), nullable=True),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("bot_texts", sa.Text(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("trace", sa.Text(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_turns")),
        sa.UniqueConstraint(
            "sender_id", "message_id", name=op.f("uq_analytics_turns_sender_id_message_id")
        ),
    )
    op.create_index("ix_analytics_turns_day_channel", "analytics_turns", ["day", "channel"])
    op.create_index("ix_analytics_turns_sender_at", "analytics_turns", ["sender_id", "at"])
    op.create_index("ix_analytics_turns_cluster_at", "analytics_turns", ["cluster_id", "at"])
    op.create_index("ix_analytics_turns_at", "analytics_turns", ["at"])
    op.create_index("ix_analytics_turns_outcome_day", "analytics_turns", ["outcome", "day"])
    op.create_table(
        "analytics_clusters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("centroid", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_clusters")),
    )
    op.create_table(
        "analytics_event_keys",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_analytics_event_keys")),
    )
    op.create_index(op.f("ix_analytics_event_keys_seen_at"), "analytics_event_keys", ["seen_at"])
    op.create_table(
        "analytics_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analytics_state")),
    )
    # The row ingest processes lock before creating an unanswered-questions cluster.
    state = sa.table("analytics_state", sa.column("name", sa.String), sa.column("position"))
    op.bulk_insert(state, [{"name": "clusters_lock", "position": 0}])


def downgrade() -> None:
    op.drop_table("analytics_state")
    op.drop_index(op.f("ix_analytics_event_keys_seen_at"), table_name="analytics_event_keys")
    op.drop_table("analytics_event_keys")
    op.drop_table("analytics_clusters")
    for index in ("outcome_day", "at", "cluster_at", "sender_at", "day_channel"):
        op.drop_index(f"ix_analytics_turns_{index}", table_name="analytics_turns")
    op.drop_table("analytics_turns")
    op.drop_index("ix_analytics_conversations_started_day", table_name="analytics_conversations")
    op.drop_index("ix_analytics_conversations_last_at", table_name="analytics_conversations")
    op.drop_table("analytics_conversations")
