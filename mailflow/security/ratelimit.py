"""Rate limits on what mailflow sends: per recipient address and in total, per hour.

A flood of inbound mail or a loop with another robot must not turn the desk into a spam
source. Rows over a limit are not dropped: they stay pending and go out when the hour
has room. Each limit that holds mail back is logged once per hour and counted, and
held_back.py reports it for `mailflow status`.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from sqlmodel import Session, col, select

from mailflow.config.security import LimitSettings
from mailflow.security.held_back import TOTAL, WINDOW
from mailflow.store import outbox
from mailflow.store.guard_tables import RateLimitNote
from mailflow.store.message_tables import OutboxRow

log = logging.getLogger(__name__)


def due(
    session: Session, now: datetime, limits: LimitSettings, limit: int = 200
) -> list[outbox.Due]:
    """The due rows that fit this hour's limits, oldest first; the rest wait (and are noted).

    Commits the session when it records a deferral, so call it on a session of its own.
    """
    if not (limits.per_address_per_hour or limits.total_per_hour):
        return outbox.due(session, now, limit)
    candidates = outbox.due(session, now, limit * 10)  # room to pass over held ones
    sent = session.exec(
        select(OutboxRow.recipients)
        .where(OutboxRow.status == outbox.SENT)
        .where(col(OutboxRow.sent_at) >= now - WINDOW)
    ).all()
    per_address: Counter[str] = Counter(a for recipients in sent for a in recipients)
    total = len(sent)
    chosen: list[outbox.Due] = []
    held: dict[str, list[int]] = {}
    for row in candidates:
        if len(chosen) >= limit:
            break
        over = [
            a
            for a in row.recipients
            if limits.per_address_per_hour and per_address[a] >= limits.per_address_per_hour
        ]
        if limits.total_per_hour and total >= limits.total_per_hour:
            over = [TOTAL]
        if over:
            held.setdefault(over[0], []).append(row.id)
            continue
        chosen.append(row)
        total += 1
        per_address.update(row.recipients)
    if held:
        _note(session, held, now, limits)
    return chosen


def _note(
    session: Session, held: dict[str, list[int]], now: datetime, limits: LimitSettings
) -> None:
    for scope, ids in held.items():
        note = session.exec(
            select(RateLimitNote)
            .where(RateLimitNote.scope == scope)
            .where(col(RateLimitNote.since) >= now - WINDOW)
            .order_by(col(RateLimitNote.id).desc())
            .limit(1)
        ).first()
        if note is None:
            note = RateLimitNote(scope=scope, since=now, deferred=0, row_ids=[])
            what = (
                f"the total limit of {limits.total_per_hour} mails an hour"
                if scope == TOTAL
                else f"the limit of {limits.per_address_per_hour} mails an hour to {scope}"
            )
            log.warning("rate limit: %s holds back %d mail(s); they wait", what, len(ids))
        new = [i for i in ids if i not in note.row_ids]
        if new:
            note.row_ids = [*note.row_ids, *new][-1000:]
            note.deferred += len(new)
            session.add(note)
    session.commit()
