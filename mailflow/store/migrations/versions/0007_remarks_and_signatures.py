"""Remarks people confirm and the signatures they end their mails with, kept per person.

A question about a remark beside a decision records, on its confirmation row, what a
CONFIRM records: the decision's text and fields as written, and the remarks. Existing
rows (questions about replies in other words) get none of these. The remarks a person
confirmed, the last lines of their replies and the signatures learned from them get a
table each.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("text", AutoString(), "''"),
    ("fields", sa.JSON(), "'{}'"),
    ("remarks", sa.JSON(), "'[]'"),
)


def upgrade() -> None:
    bind = op.get_bind()
    columns = {c["name"] for c in sa.inspect(bind).get_columns("confirmation")}
    for name, kind, default in _COLUMNS:
        if name not in columns:
            # the default fills the rows there are; the code always writes a value
            op.add_column(
                "confirmation",
                sa.Column(name, kind, nullable=False, server_default=sa.text(default)),
            )
    tables = set(sa.inspect(bind).get_table_names())
    if "confirmed_remark" not in tables:
        op.create_table(
            "confirmed_remark",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("address", AutoString(), nullable=False),
            sa.Column("key", AutoString(), nullable=False),
            sa.Column("remark", AutoString(), nullable=False),
            sa.Column("cr_id", AutoString(), nullable=False),
            sa.Column("ledger_id", sa.Integer(), nullable=True),
            sa.Column("confirmed_at", UTCDateTime(), nullable=False),
            sa.ForeignKeyConstraint(["ledger_id"], ["message_ledger.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("address", "key"),
        )
        op.create_index("ix_confirmed_remark_address", "confirmed_remark", ["address"])
    for table in ("sender_tail", "learned_signature"):
        if table in tables:
            continue
        moment = "at" if table == "sender_tail" else "learned_at"
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("address", AutoString(), nullable=False),
            sa.Column("block", AutoString(), nullable=False),
            sa.Column(moment, UTCDateTime(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index(f"ix_{table}_address", table, ["address"])


def downgrade() -> None:
    for table in ("learned_signature", "sender_tail", "confirmed_remark"):
        op.drop_index(f"ix_{table}_address", table_name=table)
        op.drop_table(table)
    # plain DROP COLUMN (SQLite 3.35+): batch mode's table copy trips the foreign keys
    for name, _kind, _default in reversed(_COLUMNS):
        op.drop_column("confirmation", name)
