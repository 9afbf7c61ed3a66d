"""Several daemons, one mailbox: the lease that lets one daemon read a source while the
others stand by, and a heartbeat row per daemon so `mailflow status` sees each of them.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_lease",
        sa.Column("source", AutoString(), nullable=False),
        sa.Column("holder", AutoString(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("taken_at", UTCDateTime(), nullable=False),
        sa.Column("node", AutoString(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source"),
    )
    op.create_table(
        "daemon_beat",
        sa.Column("daemon", AutoString(), nullable=False),
        sa.Column("source", AutoString(), nullable=False),
        sa.Column("host", AutoString(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("role", AutoString(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("last_check", UTCDateTime(), nullable=True),
        sa.Column("last_error", AutoString(), nullable=False),
        sa.Column("last_error_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("daemon"),
    )


def downgrade() -> None:
    op.drop_table("daemon_beat")
    op.drop_table("source_lease")
