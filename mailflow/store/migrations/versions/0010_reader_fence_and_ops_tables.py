"""The reader's fencing counter on SQLite, and the tables that used to be made without a
migration (status-page sign-in, the canary), so that from here on every table comes from
a migration.

`source_lease.fence` goes up by one each time another daemon takes the mailbox over; the
reader's handling transactions commit only while it still holds the number it took the
lease with (store/lease.py). Until this revision, a database opened at its newest
revision was topped up with any table missing from it: web_login, web_session and
canary_round are in every database made that way, and are made here only where absent.
No later migration needs such a check.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_lease") as batch:
        batch.add_column(sa.Column("fence", sa.Integer(), nullable=False, server_default="0"))
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "web_login" not in existing:
        op.create_table(
            "web_login",
            sa.Column("token_hash", AutoString(), nullable=False),
            sa.Column("email", AutoString(), nullable=False),
            sa.Column("created_at", UTCDateTime(), nullable=False),
            sa.Column("expires_at", UTCDateTime(), nullable=False),
            sa.Column("used_at", UTCDateTime(), nullable=True),
            sa.PrimaryKeyConstraint("token_hash"),
        )
    if "web_session" not in existing:
        op.create_table(
            "web_session",
            sa.Column("id_hash", AutoString(), nullable=False),
            sa.Column("email", AutoString(), nullable=False),
            sa.Column("created_at", UTCDateTime(), nullable=False),
            sa.Column("expires_at", UTCDateTime(), nullable=False),
            sa.PrimaryKeyConstraint("id_hash"),
        )
        op.create_index("ix_web_session_email", "web_session", ["email"])
    if "canary_round" not in existing:
        op.create_table(
            "canary_round",
            sa.Column("nonce", AutoString(), nullable=False),
            sa.Column("sent_at", UTCDateTime(), nullable=False),
            sa.Column("returned_at", UTCDateTime(), nullable=True),
            sa.Column("error", AutoString(), nullable=False),
            sa.PrimaryKeyConstraint("nonce"),
        )
        op.create_index("ix_canary_round_sent_at", "canary_round", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_canary_round_sent_at", table_name="canary_round")
    op.drop_table("canary_round")
    op.drop_index("ix_web_session_email", table_name="web_session")
    op.drop_table("web_session")
    op.drop_table("web_login")
    with op.batch_alter_table("source_lease") as batch:
        batch.drop_column("fence")
