"""Proactive reminders: preferences, the send record, runs; certification expiry.

``reminder_preferences`` holds each recipient's choices (on/off, time zone, hours),
``reminder_deliveries`` the send record whose unique key makes each reminder go out
once, ``reminder_runs`` the runs with the one-runner guard (as ``sync_runs``).
``certifications.expires_on`` (nullable: no expiry known) lets a reminder warn before
a certification lapses.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on SQLite too (no batch copy of a table with foreign keys).
    op.add_column("certifications", sa.Column("expires_on", sa.Date(), nullable=True))
    op.create_table(
        "reminder_preferences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("window_start", sa.String(length=5), nullable=False),
        sa.Column("window_end", sa.String(length=5), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('slack', 'web')", name=op.f("ck_reminder_preferences_channel_values")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_preferences")),
        sa.UniqueConstraint(
            "channel", "recipient", name=op.f("uq_reminder_preferences_channel_recipient")
        ),
    )
    op.create_table(
        "reminder_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("threshold", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "channel IN ('slack', 'web')", name=op.f("ck_reminder_deliveries_channel_values")
        ),
        sa.CheckConstraint(
            "status IN ('sending', 'sent', 'failed', 'unknown', 'seen')",
            name=op.f("ck_reminder_deliveries_status_values"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_reminder_deliveries_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_deliveries")),
        sa.UniqueConstraint(
            "channel",
            "recipient",
            "kind",
            "subject",
            "threshold",
            name="uq_reminder_deliveries_key",
        ),
    )
    op.create_index(
        op.f("ix_reminder_deliveries_partner_id"), "reminder_deliveries", ["partner_id"]
    )
    op.create_index(
        "ix_reminder_deliveries_inbox", "reminder_deliveries", ["channel", "recipient", "status"]
    )
    op.create_table(
        "reminder_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("now", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'ok', 'failed')", name=op.f("ck_reminder_runs_status_values")
        ),
        sa.CheckConstraint(
            "trigger IN ('scheduled', 'manual')", name=op.f("ck_reminder_runs_trigger_values")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_runs")),
        sa.UniqueConstraint("slot", name=op.f("uq_reminder_runs_slot")),
    )
    op.create_index(op.f("ix_reminder_runs_started_at"), "reminder_runs", ["started_at"])
    # The database-level guard: at most one reminder run is 'running' at a time.
    op.create_index(
        "uq_reminder_runs_one_running",
        "reminder_runs",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )


def downgrade() -> None:
    op.drop_table("reminder_runs")
    op.drop_table("reminder_deliveries")
    op.drop_table("reminder_preferences")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE certifications DROP COLUMN expires_on")
        return
    op.drop_column("certifications", "expires_on")
