"""The SQLModel tables: change requests, their timeline, the message ledger, files and outbox.

Every timestamp is timezone-aware UTC (sqlmodel stores it as TIMESTAMPTZ on PostgreSQL
and reads it back aware on SQLite).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel

# The outcome of a ledger row that hands a quarantined message back (store/ledger.py).
RELEASED = "released"


def utcnow() -> datetime:
    return datetime.now(UTC)


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


class LedgerEntry(SQLModel, table=True):
    """The one recorded outcome of one inbound message (applied, answered, ignored, quarantined).

    Written once and never edited. A quarantined message handed back by ops gets a second
    row (outcome "released") that `follows` the first; its next outcome is handled anew
    and recorded under the next `handling`, so each handling of the same bytes has one row.
    """

    __tablename__ = "message_ledger"
    __table_args__ = (
        # One outcome per message and handling: a second daemon handling the same mail
        # at the same time loses here. Release rows stand beside the outcome they open.
        Index(
            "ix_message_ledger_handled_once",
            "content_hash",
            "handling",
            unique=True,
            sqlite_where=sql_text(f"outcome != '{RELEASED}'"),
            postgresql_where=sql_text(f"outcome != '{RELEASED}'"),
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


class Blob(SQLModel, table=True):
    """A file's bytes, stored once however many messages carried it."""

    __tablename__ = "blob"

    sha256: str = Field(primary_key=True)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


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


class OutboxRow(SQLModel, table=True):
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


class SigningKey(SQLModel, table=True):
    """When a reply-token key was first used, so the key before it gets a bounded grace period."""

    __tablename__ = "signing_key"

    kid: str = Field(primary_key=True)
    first_used_at: datetime = Field(default_factory=utcnow)


class RateLimitNote(SQLModel, table=True):
    """One logged deferral window: which limit held mail back, since when, and how many times."""

    __tablename__ = "rate_limit_note"

    id: int | None = Field(default=None, primary_key=True)
    scope: str  # an address, or "*" for the total limit
    since: datetime = Field(index=True)
    deferred: int = 0  # distinct outbox rows held back in this window
    row_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


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


class ConfirmedRemark(SQLModel, table=True):
    """A remark a person confirmed beside a decision; from them it is taken as written again.

    `key` is the remark as reading compares it (decide.remark_key); `remark` as written.
    """

    __tablename__ = "confirmed_remark"
    __table_args__ = (UniqueConstraint("address", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(index=True)
    key: str
    remark: str
    cr_id: str = ""
    ledger_id: int | None = Field(default=None, foreign_key="message_ledger.id")
    confirmed_at: datetime = Field(default_factory=utcnow)


class SenderTail(SQLModel, table=True):
    """The last lines of a reply a person sent (the last few per person): where a signature
    they end every mail with is found."""

    __tablename__ = "sender_tail"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(index=True)
    block: str  # up to signature_blocks.TAIL_LINES non-blank lines, spaces folded
    at: datetime = Field(default_factory=utcnow)


class LearnedSignature(SQLModel, table=True):
    """A block that ended two replies of the same person: their signature, not their words."""

    __tablename__ = "learned_signature"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(index=True)
    block: str
    learned_at: datetime = Field(default_factory=utcnow)


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
