"""The tables of change requests: each CR, its timeline, its decisions and files, the
answers that wait on it, and the mark of the settings its reminder times were computed under.

The tables of mail in and out are in message_tables.py (the CR tables' foreign keys
point there); what is learned about each person in sender_tables.py; the guards on
outgoing mail in guard_tables.py. Every timestamp is timezone-aware UTC (sqlmodel
stores it as TIMESTAMPTZ on PostgreSQL and reads it back aware on SQLite).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

# LedgerEntry and OutboxRow stay importable from here for the callers that still do so;
# importing them also loads the tables the foreign keys below name.
from mailflow.store.message_tables import LedgerEntry as LedgerEntry
from mailflow.store.message_tables import OutboxRow as OutboxRow
from mailflow.store.stamps import utcnow


class ChangeRequest(SQLModel, table=True):
    """One CR and where it stands; `fields` holds every typed value replies have given."""

    __tablename__ = "change_request"

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


class CRSequence(SQLModel, table=True):
    """The last CR number used in a year, so ids read CR-2026-0042."""

    __tablename__ = "cr_sequence"

    year: int = Field(primary_key=True)
    last: int = 0


class Decision(SQLModel, table=True):
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


class AuditEvent(SQLModel, table=True):
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


class AttachmentLink(SQLModel, table=True):
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


class Evidence(SQLModel, table=True):
    """Why a reply was acted on or refused: the message (by hash), what proved its sender."""

    __tablename__ = "evidence"

    id: int | None = Field(default=None, primary_key=True)
    cr_id: str = Field(index=True, foreign_key="change_request.id")
    ledger_id: int | None = Field(default=None, foreign_key="message_ledger.id")
    at: datetime = Field(default_factory=utcnow)
    stage: str
    verb: str = ""
    actor: str
    attested_by: str = ""
    outcome: str  # "applied" or "refused"
    sha256: str = Field(foreign_key="blob.sha256")
    policy: str = ""
    rule: str = ""
    token_check: str = ""
    auth_results: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class Confirmation(SQLModel, table=True):
    """A reply read as a likely decision in other words, waiting for the sender's CONFIRM.

    It is bound to the stage instance (stage and the moment it was entered), so it lapses
    as soon as the CR moves on.
    """

    __tablename__ = "confirmation"

    id: int | None = Field(default=None, primary_key=True)
    cr_id: str = Field(index=True, foreign_key="change_request.id")
    stage: str
    stage_entered_at: datetime
    actor: str = Field(index=True)
    verb: str
    line: str = ""
    ledger_id: int | None = Field(default=None, foreign_key="message_ledger.id")
    asked_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    # The group id of the question mail; a CONFIRM counts only as a reply to it.
    question_id: str = ""
    # A decision asked about because of remarks beside it: what a CONFIRM records (the
    # verb above, its text and fields as written) and the remarks, as written.
    text: str = ""
    fields: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    remarks: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class EarlyAnswer(SQLModel, table=True):
    """A decision that came before its stage, held until the CR reaches it (chain/early.py).

    `facts` is the digest of the CR's facts when it came (store/early.py): when the CR
    reaches `stage` with other facts, the answer was given to something else and is
    dropped. `outcome` stays "" while it waits; then asked, recorded, dropped or lapsed.
    """

    __tablename__ = "early_answer"

    id: int | None = Field(default=None, primary_key=True)
    cr_id: str = Field(index=True, foreign_key="change_request.id")
    stage: str  # the stage it is for
    arrived_at_stage: str  # the stage the CR stood at when it came
    actor: str
    attested_by: str = ""
    verb: str
    line: str = ""
    text: str = ""
    fields: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ledger_id: int | None = Field(default=None, foreign_key="message_ledger.id")
    received_at: datetime = Field(default_factory=utcnow)
    facts: str = ""
    outcome: str = ""
    settled_at: datetime | None = None


class SettingMark(SQLModel, table=True):
    """The settings a stored, derived value was computed under (a digest per kind).

    `change_request.next_reminder_at` depends on the workflow's reminder hours and the
    business days; when their digest differs from the one kept here the times are
    computed again (reminder_due.retime), so a shortened interval is not missed.
    """

    __tablename__ = "setting_mark"

    name: str = Field(primary_key=True)
    digest: str
    changed_at: datetime = Field(default_factory=utcnow)
