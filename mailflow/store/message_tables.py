"""The tables of mail in and out: the message ledger, the outbox, and the bytes of files.

The ledger holds the one recorded outcome of each inbound message; the outbox each mail
to send, complete; a blob a file's or a message's bytes, once. Apart from the CR tables
(tables.py) because they are the data path's own records, written for every message
whether or not it concerns a CR, and the CR tables' foreign keys point here, never back.
Every timestamp is timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, Table
from sqlalchemy import text as sql_text
from sqlmodel import Field

from mailflow.store.row import Row
from mailflow.store.stamps import utcnow

# The outcome of a ledger row that hands a quarantined message back (store/ledger.py).
RELEASED = "released"
HANDLED_ONCE = "ix_message_ledger_handled_once"
_NOT_A_RELEASE = f"outcome != '{RELEASED}'"


class LedgerEntry(Row, table=True):
    """The one recorded outcome of one inbound message (applied, answered, ignored, quarantined).

    Written once and never edited. A quarantined message handed back by ops gets a second
    row (outcome "released") that `follows` the first; its next outcome is handled anew
    and recorded under the next `handling`, so each handling of the same bytes has one row.
    """

    __tablename__ = "message_ledger"
    __table_args__ = (
        # One outcome per message and handling: a second daemon handling the same mail
        # at the same time loses here. Release rows stand beside the outcome they open.
        # Its PostgreSQL form is given by partial_on_postgresql(): declared here, it would
        # make every command load SQLAlchemy's PostgreSQL dialect, even on SQLite.
        Index(
            HANDLED_ONCE,
            "content_hash",
            "handling",
            unique=True,
            sqlite_where=sql_text(_NOT_A_RELEASE),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(index=True)
    message_id: str = Field(default="", index=True)
    source_key: str = ""
    sender: str = ""
    subject: str = ""
    outcome: str
    reason: str = ""
    cr_id: str | None = Field(default=None, index=True)
    received_at: datetime = Field(default_factory=utcnow)
    raw: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # The handling rule that ruled on the message and the rules it passed before it.
    rules: str = ""
    # The message's new text as the answer cap compares it (a SHA-256, hex), on answers.
    text_digest: str = ""
    # 0 the first time; one more for each release from quarantine.
    handling: int = 0
    # A release: the id of the quarantined entry it hands back.
    follows: int | None = Field(default=None, index=True)


class Blob(Row, table=True):
    """A file's bytes, stored once however many messages carried it."""

    __tablename__ = "blob"

    sha256: str = Field(primary_key=True)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class OutboxRow(Row, table=True):
    """A mail to send, complete with its final Message-ID; the sender only delivers it."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(index=True, unique=True)
    # One logical mail goes out as one row per recipient (each copy carries that
    # recipient's reply token); group_id ties the copies together.
    group_id: str = Field(default="", index=True)
    cr_id: str | None = Field(default=None, index=True)
    template: str = ""
    envelope_from: str
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


def partial_on_postgresql() -> None:
    """Give the ledger's one-outcome index its WHERE on PostgreSQL too, as the migrations
    made it there: called where a PostgreSQL engine is made and in the migrations' env."""
    table: Table = LedgerEntry.__table__  # type: ignore[attr-defined]
    index = next(i for i in table.indexes if i.name == HANDLED_ONCE)
    if index.dialect_options["postgresql"]["where"] is None:
        index.dialect_options["postgresql"]["where"] = sql_text(_NOT_A_RELEASE)
