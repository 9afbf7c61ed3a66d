"""The schema of mailflow 0.1.0, the first release with migrations: the baseline.

A database made by an earlier mailflow (tables created directly, no alembic_version
table) holds exactly this schema and is stamped with this revision before upgrading.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob",
        sa.Column("sha256", AutoString(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "change_request",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("account", AutoString(), nullable=False),
        sa.Column("title", AutoString(), nullable=False),
        sa.Column("description", AutoString(), nullable=False),
        sa.Column("stage", AutoString(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("votes", sa.JSON(), nullable=False),
        sa.Column("entered_at", UTCDateTime(), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("assignee", AutoString(), nullable=True),
        sa.Column("opened_by", AutoString(), nullable=False),
        sa.Column("thread_root", AutoString(), nullable=False),
        sa.Column("source_ref", AutoString(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_change_request_account"), "change_request", ["account"], unique=False)
    op.create_index(
        op.f("ix_change_request_source_ref"), "change_request", ["source_ref"], unique=False
    )
    op.create_index(op.f("ix_change_request_stage"), "change_request", ["stage"], unique=False)
    op.create_table(
        "cr_sequence",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "heartbeat",
        sa.Column("source", AutoString(), nullable=False),
        sa.Column("host", AutoString(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("last_check", UTCDateTime(), nullable=True),
        sa.Column("last_message", UTCDateTime(), nullable=True),
        sa.Column("last_error", AutoString(), nullable=False),
        sa.Column("last_error_at", UTCDateTime(), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("source"),
    )
    op.create_table(
        "message_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", AutoString(), nullable=False),
        sa.Column("message_id", AutoString(), nullable=False),
        sa.Column("source_key", AutoString(), nullable=False),
        sa.Column("sender", AutoString(), nullable=False),
        sa.Column("subject", AutoString(), nullable=False),
        sa.Column("outcome", AutoString(), nullable=False),
        sa.Column("reason", AutoString(), nullable=False),
        sa.Column("cr_id", AutoString(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("rules", AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_message_ledger_content_hash"), "message_ledger", ["content_hash"], unique=True
    )
    op.create_index(op.f("ix_message_ledger_cr_id"), "message_ledger", ["cr_id"], unique=False)
    op.create_index(
        op.f("ix_message_ledger_message_id"), "message_ledger", ["message_id"], unique=False
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", AutoString(), nullable=False),
        sa.Column("group_id", AutoString(), nullable=False),
        sa.Column("cr_id", AutoString(), nullable=True),
        sa.Column("template", AutoString(), nullable=False),
        sa.Column("envelope_from", AutoString(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("status", AutoString(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", AutoString(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_outbox_cr_id"), "outbox", ["cr_id"], unique=False)
    op.create_index(op.f("ix_outbox_group_id"), "outbox", ["group_id"], unique=False)
    op.create_index(op.f("ix_outbox_message_id"), "outbox", ["message_id"], unique=True)
    op.create_index(op.f("ix_outbox_status"), "outbox", ["status"], unique=False)
    op.create_table(
        "rate_limit_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", AutoString(), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("deferred", sa.Integer(), nullable=False),
        sa.Column("row_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rate_limit_note_since"), "rate_limit_note", ["since"], unique=False)
    op.create_table(
        "signing_key",
        sa.Column("kid", AutoString(), nullable=False),
        sa.Column("first_used_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kid"),
    )
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cr_id", AutoString(), nullable=False),
        sa.Column("stage", AutoString(), nullable=False),
        sa.Column("filename", AutoString(), nullable=False),
        sa.Column("content_type", AutoString(), nullable=False),
        sa.Column("sha256", AutoString(), nullable=False),
        sa.Column("ledger_id", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cr_id"],
            ["change_request.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ledger_id"],
            ["message_ledger.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["blob.sha256"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cr_id", "sha256", "ledger_id", "filename"),
    )
    op.create_index(op.f("ix_attachment_cr_id"), "attachment", ["cr_id"], unique=False)
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cr_id", AutoString(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("stage", AutoString(), nullable=False),
        sa.Column("kind", AutoString(), nullable=False),
        sa.Column("detail", AutoString(), nullable=False),
        sa.Column("actor", AutoString(), nullable=False),
        sa.Column("ledger_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cr_id"],
            ["change_request.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ledger_id"],
            ["message_ledger.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audit_event_cr_id"), "audit_event", ["cr_id"], unique=False)
    op.create_table(
        "confirmation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cr_id", AutoString(), nullable=False),
        sa.Column("stage", AutoString(), nullable=False),
        sa.Column("stage_entered_at", UTCDateTime(), nullable=False),
        sa.Column("actor", AutoString(), nullable=False),
        sa.Column("verb", AutoString(), nullable=False),
        sa.Column("line", AutoString(), nullable=False),
        sa.Column("ledger_id", sa.Integer(), nullable=True),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("question_id", AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cr_id"],
            ["change_request.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ledger_id"],
            ["message_ledger.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_confirmation_actor"), "confirmation", ["actor"], unique=False)
    op.create_index(op.f("ix_confirmation_cr_id"), "confirmation", ["cr_id"], unique=False)
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cr_id", AutoString(), nullable=False),
        sa.Column("stage", AutoString(), nullable=False),
        sa.Column("verb", AutoString(), nullable=False),
        sa.Column("actor", AutoString(), nullable=False),
        sa.Column("text", AutoString(), nullable=False),
        sa.Column("ledger_id", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cr_id"],
            ["change_request.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ledger_id"],
            ["message_ledger.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_decision_cr_id"), "decision", ["cr_id"], unique=False)
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cr_id", AutoString(), nullable=False),
        sa.Column("ledger_id", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("stage", AutoString(), nullable=False),
        sa.Column("verb", AutoString(), nullable=False),
        sa.Column("actor", AutoString(), nullable=False),
        sa.Column("attested_by", AutoString(), nullable=False),
        sa.Column("outcome", AutoString(), nullable=False),
        sa.Column("sha256", AutoString(), nullable=False),
        sa.Column("policy", AutoString(), nullable=False),
        sa.Column("rule", AutoString(), nullable=False),
        sa.Column("token_check", AutoString(), nullable=False),
        sa.Column("auth_results", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cr_id"],
            ["change_request.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ledger_id"],
            ["message_ledger.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["blob.sha256"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_evidence_cr_id"), "evidence", ["cr_id"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_evidence_cr_id"), table_name="evidence")
    op.drop_table("evidence")
    op.drop_index(op.f("ix_decision_cr_id"), table_name="decision")
    op.drop_table("decision")
    op.drop_index(op.f("ix_confirmation_cr_id"), table_name="confirmation")
    op.drop_index(op.f("ix_confirmation_actor"), table_name="confirmation")
    op.drop_table("confirmation")
    op.drop_index(op.f("ix_audit_event_cr_id"), table_name="audit_event")
    op.drop_table("audit_event")
    op.drop_index(op.f("ix_attachment_cr_id"), table_name="attachment")
    op.drop_table("attachment")
    op.drop_table("signing_key")
    op.drop_index(op.f("ix_rate_limit_note_since"), table_name="rate_limit_note")
    op.drop_table("rate_limit_note")
    op.drop_index(op.f("ix_outbox_status"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_message_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_group_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_cr_id"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_message_ledger_message_id"), table_name="message_ledger")
    op.drop_index(op.f("ix_message_ledger_cr_id"), table_name="message_ledger")
    op.drop_index(op.f("ix_message_ledger_content_hash"), table_name="message_ledger")
    op.drop_table("message_ledger")
    op.drop_table("heartbeat")
    op.drop_table("cr_sequence")
    op.drop_index(op.f("ix_change_request_stage"), table_name="change_request")
    op.drop_index(op.f("ix_change_request_source_ref"), table_name="change_request")
    op.drop_index(op.f("ix_change_request_account"), table_name="change_request")
    op.drop_table("change_request")
    op.drop_table("blob")
