"""The stored tables as the commands that only read them see them: SQLAlchemy Core.

`cr list`, `cr show`, `cr report` and `status` answer from a few columns. Reading them
through the table classes (cr_tables.py and the rest) would make each of these commands
import SQLModel and the ORM and build a class per table, which costs more than the whole
answer. So these are lightweight table clauses: the columns a reading view needs, with
the same types as the classes give them. tests/test_read_tables.py holds each column to
the mapped table's and reads back what the classes wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, TypeDecorator, column, table
from sqlalchemy.engine import Dialect


class UtcTime(TypeDecorator[datetime]):
    """An aware UTC timestamp, as the table classes store and read it back (SQLModel's
    UTCDateTime, which cannot be imported without the rest of SQLModel)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)


change_request = table(
    "change_request",
    column("id", String),
    column("account", String),
    column("title", String),
    column("description", String),
    column("stage", String),
    column("held", Boolean),
    column("fields", JSON),
    column("votes", JSON),
    column("entered_at", UtcTime),
    column("reminders", Integer),
    column("reminded_at", UtcTime),
    column("assignee", String),
    column("opened_by", String),
    column("created_at", UtcTime),
    column("updated_at", UtcTime),
)

decision = table(
    "decision",
    column("id", Integer),
    column("cr_id", String),
    column("stage", String),
    column("verb", String),
    column("actor", String),
    column("text", String),
    column("at", UtcTime),
)

audit_event = table(
    "audit_event",
    column("id", Integer),
    column("cr_id", String),
    column("at", UtcTime),
    column("stage", String),
    column("kind", String),
    column("detail", String),
    column("ledger_id", Integer),
)

attachment = table(
    "attachment",
    column("id", Integer),
    column("cr_id", String),
    column("stage", String),
    column("filename", String),
    column("sha256", String),
)

message_ledger = table(
    "message_ledger",
    column("id", Integer),
    column("content_hash", String),
    column("message_id", String),
    column("outcome", String),
    column("received_at", UtcTime),
)

outbox = table(
    "outbox",
    column("id", Integer),
    column("status", String),
)

heartbeat = table(
    "heartbeat",
    column("source", String),
    column("host", String),
    column("pid", Integer),
    column("started_at", UtcTime),
    column("last_check", UtcTime),
    column("last_message", UtcTime),
    column("last_error", String),
    column("last_error_at", UtcTime),
    column("state", JSON),
    column("updated_at", UtcTime),
)

daemon_beat = table(
    "daemon_beat",
    column("daemon", String),
    column("source", String),
    column("host", String),
    column("pid", Integer),
    column("role", String),
    column("started_at", UtcTime),
    column("last_check", UtcTime),
    column("last_error", String),
    column("last_error_at", UtcTime),
)

source_lease = table(
    "source_lease",
    column("source", String),
    column("holder", String),
    column("expires_at", UtcTime),
    column("taken_at", UtcTime),
    column("node", String),
    column("pid", Integer),
    column("fence", Integer),
)

rate_limit_note = table(
    "rate_limit_note",
    column("id", Integer),
    column("scope", String),
    column("since", UtcTime),
    column("deferred", Integer),
)

canary_round = table(
    "canary_round",
    column("nonce", String),
    column("sent_at", UtcTime),
    column("returned_at", UtcTime),
    column("error", String),
)

# The tables above, for the test that holds them to the table classes.
ALL = (
    change_request,
    decision,
    audit_event,
    attachment,
    message_ledger,
    outbox,
    heartbeat,
    daemon_beat,
    source_lease,
    rate_limit_note,
    canary_round,
)
