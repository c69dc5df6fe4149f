"""Feedback: thumbs up or down, with an optional comment, on an assistant answer.

``turn_feedback`` holds one vote per turn of a conversation (``sender_id``,
``message_id``, the keys analytics uses for turns); voting again replaces the row's
vote and comment (``partners/feedback.py``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "turn_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("vote", sa.String(length=4), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("vote IN ('up', 'down')", name=op.f("ck_turn_feedback_vote_values")),
        sa.CheckConstraint(
            "channel IN ('web', 'slack', 'api')", name=op.f("ck_turn_feedback_channel_values")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turn_feedback")),
        sa.UniqueConstraint(
            "sender_id", "message_id", name=op.f("uq_turn_feedback_sender_id_message_id")
        ),
    )
    op.create_index(op.f("ix_turn_feedback_created_at"), "turn_feedback", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_turn_feedback_created_at"), table_name="turn_feedback")
    op.drop_table("turn_feedback")
