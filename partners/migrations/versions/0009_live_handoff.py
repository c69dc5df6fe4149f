"""Live handoff: claims, operator replies, the Slack thread of a ticket.

``handoff_tickets`` gains who holds a ticket (``claimed_by``, the operator's e-mail,
and ``claimed_by_name``, as the partner sees it), since when (``claimed_at``), its
last change (``updated_at``, which the operators' live queue polls) and, for a Slack
conversation, where replies go (``slack_channel``, ``slack_thread_ts``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = (
    ("claimed_by", sa.String(length=254)),
    ("claimed_by_name", sa.String(length=200)),
    ("claimed_at", sa.DateTime(timezone=True)),
    ("updated_at", sa.DateTime(timezone=True)),
    ("slack_channel", sa.String(length=40)),
    ("slack_thread_ts", sa.String(length=40)),
)


def upgrade() -> None:
    # Plain ADD COLUMNs, on SQLite too (no batch copy of a table with foreign keys).
    for name, type_ in COLUMNS:
        op.add_column("handoff_tickets", sa.Column(name, type_, nullable=True))
    op.create_index(
        op.f("ix_handoff_tickets_updated_at"), "handoff_tickets", ["updated_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_handoff_tickets_updated_at"), table_name="handoff_tickets")
    with op.batch_alter_table("handoff_tickets") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
