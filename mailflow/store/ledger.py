"""One recorded outcome per inbound message, so a re-read message is a no-op (idempotency)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, or_, select

from mailflow.store.tables import LedgerEntry


class LedgerOutcome(StrEnum):
    """The four things that can become of an inbound message (DESIGN invariant 1)."""

    APPLIED = "applied"
    ANSWERED = "answered"
    IGNORED = "ignored"
    QUARANTINED = "quarantined"


APPLIED = LedgerOutcome.APPLIED
ANSWERED = LedgerOutcome.ANSWERED
IGNORED = LedgerOutcome.IGNORED
QUARANTINED = LedgerOutcome.QUARANTINED
OUTCOMES = tuple(LedgerOutcome)


def find(session: Session, content_hash: str, message_id: str = "") -> LedgerEntry | None:
    """The entry of a message already seen: same bytes, or the same Message-ID."""
    condition = col(LedgerEntry.content_hash) == content_hash
    if message_id:
        condition = or_(condition, col(LedgerEntry.message_id) == message_id)
    return session.exec(select(LedgerEntry).where(condition).limit(1)).first()


def with_message_id(session: Session, message_id: str) -> list[LedgerEntry]:
    """Every entry of an earlier message with this Message-ID, newest first."""
    if not message_id:
        return []
    rows = session.exec(
        select(LedgerEntry)
        .where(col(LedgerEntry.message_id) == message_id)
        .order_by(col(LedgerEntry.id).desc())
    )
    return list(rows.all())


def record(
    session: Session,
    *,
    content_hash: str,
    outcome: LedgerOutcome,
    reason: str = "",
    message_id: str = "",
    source_key: str = "",
    sender: str = "",
    subject: str = "",
    cr_id: str | None = None,
    raw: bytes | None = None,
    at: datetime | None = None,
    rules: str = "",
) -> LedgerEntry:
    """Add the outcome row; flushed so that audit events can point at its id."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown ledger outcome {outcome!r}")
    entry = LedgerEntry(
        content_hash=content_hash,
        message_id=message_id,
        source_key=source_key,
        sender=sender,
        subject=subject[:500],
        outcome=outcome,
        reason=reason[:2000],
        cr_id=cr_id,
        raw=raw,
        rules=rules[:1000],
    )
    if at is not None:
        entry.received_at = at
    session.add(entry)
    session.flush()
    return entry


def cr_of_message_ids(session: Session, message_ids: list[str]) -> str | None:
    """The CR an inbound message belonged to, for replies threaded on another person's mail."""
    if not message_ids:
        return None
    row = session.exec(
        select(LedgerEntry.cr_id)
        .where(LedgerEntry.message_id.in_(message_ids))  # type: ignore[attr-defined]
        .where(LedgerEntry.cr_id.is_not(None))  # type: ignore[union-attr]
        .limit(1)
    ).first()
    return row
