"""Outbound mail as rows: written in the message's transaction, delivered and retried later."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlmodel import Session, col, select

from mailflow.store.message_tables import OutboxRow

PENDING = "pending"
SENT = "sent"
FAILED = "failed"

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 20


def enqueue(
    session: Session,
    *,
    message_id: str,
    envelope_from: str,
    recipients: Sequence[str],
    data: bytes,
    cr_id: str | None,
    template: str,
    now: datetime,
) -> OutboxRow:
    row = OutboxRow(
        message_id=message_id,
        envelope_from=envelope_from,
        recipients=list(recipients),
        data=data,
        cr_id=cr_id,
        template=template,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


class Due(NamedTuple):
    """A row ready for an attempt, as the sender chooses among them: its id and recipients."""

    id: int
    recipients: list[str]


def due(session: Session, now: datetime, limit: int = 100) -> list[Due]:
    """Rows ready for an attempt, oldest first, as plain values: a backlog of thousands is
    chosen from without building a table object for each (the sender reads each row it
    sends by its id)."""
    query = (
        select(OutboxRow.id, OutboxRow.recipients)
        .where(OutboxRow.status == PENDING)
        .where(OutboxRow.next_attempt_at <= now)
        .order_by(col(OutboxRow.id))
        .limit(limit)
    )
    return [Due(row_id or 0, list(recipients)) for row_id, recipients in session.exec(query).all()]


def mark_sent(row: OutboxRow, now: datetime) -> None:
    row.status = SENT
    row.attempts += 1
    row.sent_at = now
    row.last_error = ""


def mark_retry(row: OutboxRow, now: datetime, error: str) -> None:
    """A transient failure: try again after a capped, jittered exponential delay."""
    row.attempts += 1
    row.last_error = error[:2000]
    if row.attempts >= MAX_ATTEMPTS:
        row.status = FAILED
        return
    delay = min(BACKOFF_BASE * (2 ** (row.attempts - 1)), BACKOFF_CAP)
    row.next_attempt_at = now + delay * random.uniform(0.8, 1.2)


def mark_failed(row: OutboxRow, now: datetime, error: str) -> None:
    row.attempts += 1
    row.status = FAILED
    row.last_error = error[:2000]
    row.next_attempt_at = now


def cr_of_message_ids(session: Session, message_ids: Sequence[str]) -> str | None:
    """The CR a mail we sent belongs to, for replies that lost the subject token."""
    if not message_ids:
        return None
    return session.exec(
        select(OutboxRow.cr_id)
        .where(col(OutboxRow.message_id).in_(list(message_ids)))
        .where(col(OutboxRow.cr_id).is_not(None))
        .limit(1)
    ).first()
