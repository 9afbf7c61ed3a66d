"""Ledger rows are written once: the answer cap's digest, and releases as rows of their own.

`text_digest` keeps what the answer cap compares an answered message's new text as, so
a repeat is found without parsing earlier mail again, and after a restart. A release
from quarantine no longer rewrites the quarantined row's keys: it is a row of its own
(outcome "released") that `follows` the quarantined one, and the message read again is
recorded under the next `handling`. So the content hash is unique per handling, not
overall. Releases made before this revision (their quarantined row's content hash was
rewritten to start with "released:") get their release row here, so they stay off the
list of messages waiting in quarantine.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_NOT_A_RELEASE = sa.text("outcome != 'released'")


def upgrade() -> None:
    # Columns are added in place, never by copying the table: other tables point at its
    # rows. So `follows` has no foreign key, which SQLite cannot add to a table in place.
    op.add_column(
        "message_ledger",
        sa.Column("text_digest", AutoString(), nullable=False, server_default=""),
    )
    op.add_column(
        "message_ledger",
        sa.Column("handling", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("message_ledger", sa.Column("follows", sa.Integer(), nullable=True))
    op.create_index("ix_message_ledger_follows", "message_ledger", ["follows"])
    op.drop_index("ix_message_ledger_content_hash", table_name="message_ledger")
    op.create_index("ix_message_ledger_content_hash", "message_ledger", ["content_hash"])
    op.create_index(
        "ix_message_ledger_handled_once",
        "message_ledger",
        ["content_hash", "handling"],
        unique=True,
        sqlite_where=_NOT_A_RELEASE,
        postgresql_where=_NOT_A_RELEASE,
    )
    op.execute(
        "INSERT INTO message_ledger (content_hash, message_id, source_key, sender, subject, "
        "outcome, reason, cr_id, received_at, raw, rules, text_digest, handling, follows) "
        "SELECT content_hash, message_id, source_key, sender, subject, 'released', "
        "'released from quarantine (recorded on the quarantined entry)', NULL, received_at, "
        "NULL, '', '', handling + 1, id FROM message_ledger "
        "WHERE outcome = 'quarantined' AND content_hash LIKE 'released:%'"
    )


def downgrade() -> None:
    op.execute("DELETE FROM message_ledger WHERE outcome = 'released'")
    op.drop_index("ix_message_ledger_handled_once", table_name="message_ledger")
    op.drop_index("ix_message_ledger_content_hash", table_name="message_ledger")
    op.create_index(
        "ix_message_ledger_content_hash", "message_ledger", ["content_hash"], unique=True
    )
    op.drop_index("ix_message_ledger_follows", table_name="message_ledger")
    for column in ("follows", "handling", "text_digest"):
        op.drop_column("message_ledger", column)
