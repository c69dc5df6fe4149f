"""Initial partner store: partners, people, credentials, scores, vouchers, links, tickets.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _partner_fk(table: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["partner_id"],
        ["partners.id"],
        name=op.f(f"fk_{table}_partner_id_partners"),
        ondelete=ondelete,
    )


def _person_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["person_id"],
        ["people.id"],
        name=op.f(f"fk_{table}_person_id_people"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("passcode_hash", sa.String(length=300), nullable=True),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
    )
    op.create_index(op.f("ix_partners_country"), "partners", ["country"])

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=50), nullable=False),
        _partner_fk("people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_index(op.f("ix_people_partner_id"), "people", ["partner_id"])

    op.create_table(
        "certifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("course_id", sa.String(length=40), nullable=True),
        sa.Column("earned_on", sa.Date(), nullable=False),
        _person_fk("certifications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
    )
    op.create_index(op.f("ix_certifications_person_id"), "certifications", ["person_id"])

    op.create_table(
        "course_completions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.String(length=40), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        _person_fk("course_completions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_completions")),
        sa.UniqueConstraint(
            "person_id", "course_id", name=op.f("uq_course_completions_person_id_course_id")
        ),
    )
    op.create_index(op.f("ix_course_completions_person_id"), "course_completions", ["person_id"])

    op.create_table(
        "earned_competencies",
        sa.Column("partner_id", sa.String(length=16), nullable=False),
        sa.Column("competency_id", sa.String(length=60), nullable=False),
        sa.Column("earned_on", sa.Date(), nullable=False),
        _partner_fk("earned_competencies"),
        sa.PrimaryKeyConstraint("partner_id", "competency_id", name=op.f("pk_earned_competencies")),
    )

    op.create_table(
        "revenues",
        sa.Column("partner_id", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _partner_fk("revenues"),
        sa.PrimaryKeyConstraint("partner_id", "year", name=op.f("pk_revenues")),
    )

    op.create_table(
        "satisfaction_scores",
        sa.Column("partner_id", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "quarter >= 1 AND quarter <= 4", name=op.f("ck_satisfaction_scores_quarter_range")
        ),
        sa.CheckConstraint(
            "score >= 0 AND score <= 10", name=op.f("ck_satisfaction_scores_score_range")
        ),
        _partner_fk("satisfaction_scores"),
        sa.PrimaryKeyConstraint(
            "partner_id", "year", "quarter", name=op.f("pk_satisfaction_scores")
        ),
    )

    op.create_table(
        "vouchers",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "status IN ('available', 'used')", name=op.f("ck_vouchers_status_values")
        ),
        _partner_fk("vouchers"),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_vouchers")),
    )
    op.create_index(op.f("ix_vouchers_partner_id"), "vouchers", ["partner_id"])

    op.create_table(
        "chat_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_user_id", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.String(length=100), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        _partner_fk("chat_links"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_links")),
        sa.UniqueConstraint(
            "channel", "external_user_id", name=op.f("uq_chat_links_channel_external_user_id")
        ),
    )
    op.create_index(op.f("ix_chat_links_partner_id"), "chat_links", ["partner_id"])

    op.create_table(
        "handoff_tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=16), nullable=True),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'assigned', 'closed')",
            name=op.f("ck_handoff_tickets_status_values"),
        ),
        _partner_fk("handoff_tickets", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_tickets")),
    )
    op.create_index(op.f("ix_handoff_tickets_partner_id"), "handoff_tickets", ["partner_id"])


def downgrade() -> None:
    for table in (
        "handoff_tickets",
        "chat_links",
        "vouchers",
        "satisfaction_scores",
        "revenues",
        "earned_competencies",
        "course_completions",
        "certifications",
        "people",
        "partners",
    ):
        op.drop_table(table)
