"""Mail sent at most once per period (weekly digests, notes about strangers), claimed by a
row, so a restart or a second daemon never sends it again.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sent_once",
        sa.Column("kind", AutoString(), nullable=False),
        sa.Column("key", AutoString(), nullable=False),
        sa.Column("period", AutoString(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", "period"),
    )


def downgrade() -> None:
    op.drop_table("sent_once")
