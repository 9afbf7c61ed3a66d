"""Send: hand due outbox rows to the sink, one committed result per row.

The last step of the data path. Each row is locked (SKIP LOCKED where the database has
it), sent, and its result committed on its own, so a crash can repeat at most the one
mail between its sending and its commit. A permanent refusal is put on the CR's
timeline and logged at error level; a temporary one waits for its retry time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from mailflow.app import App
from mailflow.errors import PermanentSendError, TransientSendError
from mailflow.security import ratelimit
from mailflow.store import outbox
from mailflow.store.tables import AuditEvent, ChangeRequest, OutboxRow
from mailflow.transport.base import Sink

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivered:
    sent: int  # accepted by the sink
    due: int  # rows that were due when the batch began
    tried: int  # rows this sender locked and handed over (others may hold the rest)


def deliver_due(
    app: App,
    sink: Sink,
    clock: Callable[[], datetime],
    limit: int,
    go_on: Callable[[], bool] = lambda: True,
) -> Delivered:
    """Send up to `limit` due rows, each in its own transaction, while `go_on()` holds."""
    db, sent, tried = app.db, 0, 0
    with db.session() as session:
        ids = [row.id for row in ratelimit.due(session, clock(), app.settings.limits, limit)]
    for row_id in ids:
        if not go_on():
            break
        with db.transaction() as session:
            found = outbox.pending_mail(session, row_id)
            if found is None:
                continue
            tried += 1
            sent += send_row(session, sink, found, clock())
    return Delivered(sent, len(ids), tried)


def send_row(session: Session, sink: Sink, mail: outbox.PendingMail, now: datetime) -> bool:
    """Hand one row's mail to the sink and record the result on it; True when accepted."""
    try:
        sink.send(mail.envelope_from, mail.recipients, mail.data)
    except (TransientSendError, PermanentSendError) as exc:
        row = session.get(OutboxRow, mail.id)
        assert row is not None, "the row was locked a moment ago"
        return record_refusal(session, row, exc, now)
    outbox.mark_sent(session, mail.id, now)
    return True


def record_refusal(
    session: Session,
    row: OutboxRow,
    failure: TransientSendError | PermanentSendError,
    now: datetime,
) -> bool:
    """Record a refusal on the row: a temporary one waits for its retry time; a permanent
    one is put on the CR's timeline. Always False: nothing was accepted."""
    if isinstance(failure, TransientSendError):
        outbox.mark_retry(row, now, str(failure))
        log.warning("delivery of %s deferred: %s", row.message_id, failure)
    else:
        outbox.mark_failed(row, now, str(failure))
        log.error("delivery of %s failed for good: %s", row.message_id, failure)
        cr = session.get(ChangeRequest, row.cr_id) if row.cr_id else None
        if cr is not None:
            session.add(
                AuditEvent(
                    cr_id=cr.id,
                    at=now,
                    stage=cr.stage,
                    kind="delivery_failed",
                    detail=f"{row.template}: {failure}"[:2000],
                )
            )
    session.add(row)
    return False
