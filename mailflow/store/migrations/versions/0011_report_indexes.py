"""Indexes for `cr report`: CRs by stage with when they entered it, and the held ones.

The report counts the CRs of each stage with the oldest entry time; with only the stage
indexed, that read every CR's row (about 80 ms at 100,000 CRs on SQLite). With
(stage, entered_at) the index alone answers it, and the CRs over their stage's interval
are found by range. The CRs on hold are found by their own index, not by a full scan.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_change_request_stage_entered_at", "change_request", ["stage", "entered_at"])
    op.create_index("ix_change_request_held", "change_request", ["held"])


def downgrade() -> None:
    op.drop_index("ix_change_request_held", table_name="change_request")
    op.drop_index("ix_change_request_stage_entered_at", table_name="change_request")
