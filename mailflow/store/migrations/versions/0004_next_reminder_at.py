"""The reminder sweep asks an index for what is due: change_request.next_reminder_at.

Existing rows are backfilled with the earliest moment they could be due (the last
reminder, else the moment their stage was entered) unless they are on hold: the first
sweep looks at each once, and reminders.send stores the exact time computed from the
workflow and the business days, which a migration does not know. So no reminder is
ever late because of the upgrade; ended CRs drop out of the index on that first sweep.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEX = "ix_change_request_next_reminder_at"


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("change_request")}
    if "next_reminder_at" not in columns:
        op.add_column("change_request", sa.Column("next_reminder_at", UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE change_request SET next_reminder_at = COALESCE(reminded_at, entered_at) "
        "WHERE next_reminder_at IS NULL AND NOT held"
    )
    indexes = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("change_request")}
    if INDEX not in indexes:
        op.create_index(INDEX, "change_request", ["next_reminder_at"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="change_request")
    # a plain DROP COLUMN (SQLite 3.35+): batch mode's table copy trips the foreign keys
    op.drop_column("change_request", "next_reminder_at")
