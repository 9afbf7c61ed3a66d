"""The tables of change requests: each CR, its number, timeline, decisions and files, and
the mark of the settings its reminder times were computed under.

The commands that read CRs import this module; tables.py names these together with
the ones only the handling of replies queries (reply_tables.py). The tables of mail
in and out are in message_tables.py: the CR tables' foreign keys point there, and a
write maps them first (Database.transaction), so a command that only lists CRs never
builds their classes. What is learned about each person is in sender_tables.py; the
guards on outgoing mail in guard_tables.py. Every timestamp is timezone-aware UTC (sqlmodel
stores it as TIMESTAMPTZ on PostgreSQL and reads it back aware on SQLite).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field

from mailflow.store.row import Row
from mailflow.store.stamps import utcnow


class ChangeRequest(Row, table=True):
    """One CR and where it stands; `fields` holds every typed value replies have given."""

    __tablename__ = "change_request"
    # `cr report`: per stage, how many and the oldest, answered by the index alone
    __table_args__ = (Index("ix_change_request_stage_entered_at", "stage", "entered_at"),)

    id: str = Field(primary_key=True)
    account: str = Field(index=True)
    title: str
    description: str = ""
    stage: str = Field(index=True)
    held: bool = False
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    votes: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    entered_at: datetime = Field(default_factory=utcnow)
    reminders: int = 0
    reminded_at: datetime | None = None
    # When the reminder sweep must look at this CR next (None: never, as when it is ended
    # or on hold); indexed, so a sweep with nothing due reads no rows (reminder_due.py).
    next_reminder_at: datetime | None = Field(default=None, index=True)
    assignee: str | None = None
    opened_by: str = ""
    thread_root: str = ""
    source_ref: str = Field(default="", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CRSequence(Row, table=True):
    """The last CR number used in a year, so ids read CR-2026-0042."""

    __tablename__ = "cr_sequence"

    year: int = Field(primary_key=True)
    last: int = 0


class Decision(Row, table=True):
    """A decision someone gave at a stage, with the message that carried it."""

    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    cr_id: str = Field(index=True, foreign_key="change_request.id")
    stage: str
    verb: str
    actor: str
    text: str = ""
    ledger_id: int | None = Field(default=None, foreign_key="message_ledger.id")
    at: datetime = Field(default_factory=utcnow)


class AuditEvent(Row, table=True):
    """One line of a CR's timeline: a change, a decision, a refusal, a reminder, a mail."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    cr_id: str = Field(index=True, foreign_key="change_request.id")
    at: datetime = Field(default_factory=utcnow)
    stage: str
    kind: str
    detail: str
    actor: str = ""
    ledger_id: int | None = Field(default=None, foreign_key="message_ledger.id")


class AttachmentLink(Row, table=True):
    """A file as it arrived for a CR at a stage."""

    __tablename__ = "attachment"
    __table_args__ = (UniqueConstraint("cr_id", "sha256", "ledger_id", "filename"),)

    id: int | None = Field(default=None, primary_key=True)
    cr_id: str = Field(index=True, foreign_key="change_request.id")
    stage: str
    filename: str
    content_type: str = "application/octet-stream"
    sha256: str = Field(foreign_key="blob.sha256")
    ledger_id: int | None = Field(default=None, foreign_key="message_ledger.id")
    at: datetime = Field(default_factory=utcnow)


class SettingMark(Row, table=True):
    """The settings a stored, derived value was computed under (a digest per kind).

    `change_request.next_reminder_at` depends on the workflow's reminder hours and the
    business days; when their digest differs from the one kept here the times are
    computed again (reminder_due.retime), so a shortened interval is not missed.
    """

    __tablename__ = "setting_mark"

    name: str = Field(primary_key=True)
    digest: str
    changed_at: datetime = Field(default_factory=utcnow)
