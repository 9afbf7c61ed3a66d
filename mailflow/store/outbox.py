"""Outbound mail as rows: written in the message's transaction, delivered and retried later.

A row's bytes may be composed in a helper process while the transaction goes on
(`enqueue_draft`); they are put in before it commits (`settle`), so a committed row
always holds its whole mail.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol, TypeVar

from sqlalchemy import bindparam, event, inspect, update
from sqlalchemy import select as core_select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import set_committed_value
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


T_co = TypeVar("T_co", covariant=True)


class Ahead(Protocol[T_co]):
    """Work done elsewhere (a helper process); `result()` waits for it, or raises."""

    def result(self) -> T_co: ...


@dataclass(frozen=True)
class Draft:
    """A row whose bytes are being composed elsewhere, and how to compose them here."""

    row: OutboxRow
    ahead: Ahead[bytes]
    compose: Callable[[], bytes]


_DRAFTS = "mailflow.outbox.drafts"


def enqueue_draft(
    session: Session,
    *,
    message_id: str,
    envelope_from: str,
    recipients: Sequence[str],
    ahead: Ahead[bytes],
    compose: Callable[[], bytes],
    cr_id: str | None,
    template: str,
    now: datetime,
) -> OutboxRow:
    """A row like `enqueue`'s whose bytes `ahead` is composing; `settle` puts them in."""
    row = enqueue(
        session, message_id=message_id, envelope_from=envelope_from, recipients=recipients,
        data=b"", cr_id=cr_id, template=template, now=now,
    )  # fmt: skip
    session.info.setdefault(_DRAFTS, []).append(Draft(row, ahead, compose))
    return row


def settle(session: OrmSession) -> None:
    """Put every composed mail into its row: before a commit, and before a row's bytes
    are read. A row whose message was rolled back is skipped; a composition that failed
    elsewhere is done here."""
    drafts: list[Draft] = session.info.pop(_DRAFTS, [])
    written: list[dict[str, object]] = []
    for draft in drafts:
        state = inspect(draft.row)
        if state.deleted or state.detached or state.transient:
            continue  # its message's savepoint was rolled back: the row is gone
        data = _bytes_of(draft)
        if state.pending:  # not flushed yet: it is inserted with its bytes
            draft.row.data = data
        else:
            set_committed_value(draft.row, "data", data)
            written.append({"row_id": draft.row.id, "data": data})
    if written:
        session.connection().execute(_DATA, written)


def _bytes_of(draft: Draft) -> bytes:
    try:
        return draft.ahead.result()
    except Exception:  # noqa: BLE001 - the helper failed or stopped: compose here instead
        return draft.compose()


@event.listens_for(OrmSession, "before_commit")
def _settle_before_commit(session: OrmSession) -> None:
    """Every commit, whoever makes it; a savepoint's release waits for the outer commit."""
    if session.info.get(_DRAFTS) and not session.in_nested_transaction():
        settle(session)


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


class PendingMail(NamedTuple):
    """What the sender hands over of a row still waiting."""

    id: int
    message_id: str
    envelope_from: str
    recipients: list[str]
    data: bytes


_TABLE = OutboxRow.__table__  # type: ignore[attr-defined]
# Plain values rather than table objects: a backlog is thousands of rows, each sent and
# recorded in a transaction of its own.
_PENDING = (
    core_select(_TABLE.c.id, _TABLE.c.message_id, _TABLE.c.envelope_from, _TABLE.c.recipients,
           _TABLE.c.data)
    .where(_TABLE.c.id == bindparam("row_id"), _TABLE.c.status == PENDING)
    .with_for_update(skip_locked=True)
)  # fmt: skip
_DATA = update(_TABLE).where(_TABLE.c.id == bindparam("row_id")).values(data=bindparam("data"))
_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"), _TABLE.c.status != SENT)
    .values(status=SENT, attempts=_TABLE.c.attempts + 1, sent_at=bindparam("at"),
            last_error="")
)  # fmt: skip


def pending_mail(session: Session, row_id: int) -> PendingMail | None:
    """The row's mail if it still waits, locked where the database locks rows (another
    sender skips it); None when it was sent meanwhile or another sender holds it."""
    found = session.connection().execute(_PENDING, {"row_id": row_id}).first()
    return PendingMail(*found) if found is not None else None


def pending_mails(session: Session, row_ids: Sequence[int]) -> list[PendingMail]:
    """The mail of those rows that still wait, by id, in one query and without locks: for
    the one sender there is where the database cannot lock rows (SQLite)."""
    if not row_ids:
        return []
    query = (
        core_select(*_PENDING.selected_columns)
        .where(_TABLE.c.id.in_(list(row_ids)), _TABLE.c.status == PENDING)
        .order_by(_TABLE.c.id)
    )
    return [PendingMail(*found) for found in session.connection().execute(query)]


def mark_sent(session: Session, row_id: int, now: datetime) -> None:
    session.connection().execute(_SENT, {"row_id": row_id, "at": now})


def mark_all_sent(session: Session, row_ids: Sequence[int], now: datetime) -> None:
    """Each row accepted by the sink, unless it was marked sent already."""
    if row_ids:
        session.connection().execute(_SENT, [{"row_id": i, "at": now} for i in row_ids])


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
