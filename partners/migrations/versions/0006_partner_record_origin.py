"""Where a partner record came from, and the office's own person ids.

``partners.source`` is ``sample`` or ``office``: the office import writes
``office``. Partners already in the store came from the sample seed (or were loaded
by hand, unchecked), so the server default labels them ``sample`` until an office
import writes them. ``people.external_id`` is the office's CRM contact id, which the
partner-records import matches people by (``partners.importing.partner_records``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


# SQLite: plain ALTER TABLE, never a batch table copy; dropping the old partners table
# with foreign keys on would cascade into every partner's records.
CHECK_SOURCE = "source IN ('sample', 'office')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE partners ADD COLUMN source VARCHAR(16) DEFAULT 'sample' NOT NULL "
            f"CONSTRAINT ck_partners_source_values CHECK ({CHECK_SOURCE})"
        )
    else:
        op.add_column(
            "partners",
            sa.Column("source", sa.String(length=16), server_default="sample", nullable=False),
        )
        op.create_check_constraint(op.f("ck_partners_source_values"), "partners", CHECK_SOURCE)
    op.add_column("people", sa.Column("external_id", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_people_external_id"), "people", ["external_id"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_people_external_id"), table_name="people")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE people DROP COLUMN external_id")
        op.execute("ALTER TABLE partners DROP COLUMN source")
        return
    op.drop_column("people", "external_id")
    op.drop_constraint(op.f("ck_partners_source_values"), "partners", type_="check")
    op.drop_column("partners", "source")
