"""Decisions that come before their stage are held, not refused: a table of them.

A customer's "Approved" on the CSM's thread while the CR is still at triage is kept,
with a digest of the CR's facts at that moment, and applied when the CR reaches the
stage it is for (chain/early.py). Existing databases have none.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("early_answer"):
        return  # made directly by a release that had the table without this migration
    op.create_table(
        "early_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cr_id", AutoString(), nullable=False),
        sa.Column("stage", AutoString(), nullable=False),
        sa.Column("arrived_at_stage", AutoString(), nullable=False),
        sa.Column("actor", AutoString(), nullable=False),
        sa.Column("attested_by", AutoString(), nullable=False),
        sa.Column("verb", AutoString(), nullable=False),
        sa.Column("line", AutoString(), nullable=False),
        sa.Column("text", AutoString(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("ledger_id", sa.Integer(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("facts", AutoString(), nullable=False),
        sa.Column("outcome", AutoString(), nullable=False),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["cr_id"], ["change_request.id"]),
        sa.ForeignKeyConstraint(["ledger_id"], ["message_ledger.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_early_answer_cr_id", "early_answer", ["cr_id"])


def downgrade() -> None:
    op.drop_index("ix_early_answer_cr_id", table_name="early_answer")
    op.drop_table("early_answer")
