"""Operator accounts with roles and the runs of the scheduled sync.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("passcode_hash", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "role IN ('operator', 'program_manager')", name=op.f("ck_operators_role_values")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("email", name=op.f("uq_operators_email")),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'ok', 'failed', 'no_change')",
            name=op.f("ck_sync_runs_status_values"),
        ),
        sa.CheckConstraint(
            "trigger IN ('scheduled', 'manual', 'upload')", name=op.f("ck_sync_runs_trigger_values")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
        sa.UniqueConstraint("slot", name=op.f("uq_sync_runs_slot")),
    )
    op.create_index(op.f("ix_sync_runs_started_at"), "sync_runs", ["started_at"])
    # The database-level guard: at most one run is 'running' at a time.
    op.create_index(
        "uq_sync_runs_one_running",
        "sync_runs",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )


def downgrade() -> None:
    op.drop_table("sync_runs")
    op.drop_table("operators")
