"""Web chat conversations bound to their partner (partners.conversations).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_bindings",
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("partner_id", sa.String(length=16), nullable=False),
        sa.Column("token_id", sa.String(length=64), nullable=True),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_conversation_bindings_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_bindings")),
    )
    op.create_index(
        op.f("ix_conversation_bindings_partner_id"), "conversation_bindings", ["partner_id"]
    )
    op.create_index(
        op.f("ix_conversation_bindings_expires_at"), "conversation_bindings", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_table("conversation_bindings")
