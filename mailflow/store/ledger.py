"""One recorded outcome per inbound message, so a re-read message is a no-op (idempotency).

Rows are written once and never edited (DESIGN invariant 10). Handing a quarantined
message back is a row of its own (`release`) that points to the quarantined one; the
message read again is then handled anew, under the next handling number.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, cast

from sqlalchemy import bindparam, insert, literal, or_
from sqlalchemy import select as core_select
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from mailflow.store import message_tables
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.stamps import utcnow


class LedgerOutcome(StrEnum):
    """The four things that can become of an inbound message (DESIGN invariant 1), and
    the row of a quarantined message handed back to be handled again."""

    APPLIED = "applied"
    ANSWERED = "answered"
    IGNORED = "ignored"
    QUARANTINED = "quarantined"
    RELEASED = message_tables.RELEASED


APPLIED = LedgerOutcome.APPLIED
ANSWERED = LedgerOutcome.ANSWERED
IGNORED = LedgerOutcome.IGNORED
QUARANTINED = LedgerOutcome.QUARANTINED
RELEASED = LedgerOutcome.RELEASED
OUTCOMES = tuple(LedgerOutcome)


def _released_ids() -> SelectOfScalar[int | None]:
    """The entries a release row hands back (a subquery)."""
    return select(col(LedgerEntry.follows)).where(col(LedgerEntry.follows).is_not(None))


TABLE = LedgerEntry.__table__  # type: ignore[attr-defined]  # for plain statements
_INSERT = insert(TABLE)  # built once: its values come as parameters
_SAME_BYTES = TABLE.c.content_hash == bindparam("content_hash")
_SEEN = {  # with a Message-ID, and without one
    True: core_select(literal(1))
    .where(or_(_SAME_BYTES, TABLE.c.message_id == bindparam("message_id")))
    .limit(1),
    False: core_select(literal(1)).where(_SAME_BYTES).limit(1),
}


def ever_seen(session: Session, content_hash: str, message_id: str) -> bool:
    """Whether any row holds these bytes or this Message-ID: one indexed look, so that a
    new message (nearly every one) costs no more; `latest` and `with_message_id` say
    what was seen."""
    query = _SEEN[bool(message_id)]
    found = session.connection().execute(
        query, {"content_hash": content_hash, "message_id": message_id}
    )
    return found.first() is not None


def latest(session: Session, content_hash: str) -> LedgerEntry | None:
    """The newest row of these bytes: their outcome, or the release that hands them back."""
    return session.exec(
        select(LedgerEntry)
        .options(defer(cast(QueryableAttribute[bytes], LedgerEntry.raw)))  # read if asked for
        .where(col(LedgerEntry.content_hash) == content_hash)
        .order_by(col(LedgerEntry.id).desc())
        .limit(1)
    ).first()


def next_handling(newest: LedgerEntry | None) -> int | None:
    """The handling under which bytes whose newest row is `newest` are recorded now: 0
    when never seen, the release's after a release, None when already recorded."""
    if newest is None:
        return 0
    return newest.handling if newest.outcome == RELEASED else None


def with_message_id(session: Session, message_id: str) -> list[LedgerEntry]:
    """Every recorded outcome of an earlier message with this Message-ID, newest first;
    a quarantined message handed back no longer counts."""
    if not message_id:
        return []
    rows = session.exec(
        select(LedgerEntry)
        .where(col(LedgerEntry.message_id) == message_id)
        .where(col(LedgerEntry.outcome) != RELEASED)
        .where(col(LedgerEntry.id).not_in(_released_ids()))
        .order_by(col(LedgerEntry.id).desc())
    )
    return list(rows.all())


def released(session: Session, entry_id: int) -> LedgerEntry | None:
    """The release row of a quarantined entry, once ops handed it back."""
    return session.exec(select(LedgerEntry).where(col(LedgerEntry.follows) == entry_id)).first()


def still_quarantined(session: Session) -> list[LedgerEntry]:
    """Quarantined messages not handed back, oldest first."""
    rows = session.exec(
        select(LedgerEntry)
        .where(col(LedgerEntry.outcome) == QUARANTINED)
        .where(col(LedgerEntry.id).not_in(_released_ids()))
        .order_by(col(LedgerEntry.id))
    )
    return list(rows.all())


def release(session: Session, quarantined: LedgerEntry, reason: str, at: datetime) -> LedgerEntry:
    """The row that hands a quarantined message back: it points to the quarantined row,
    which stays as it was, and opens the message's next handling."""
    entry = LedgerEntry(
        content_hash=quarantined.content_hash,
        message_id=quarantined.message_id,
        source_key=quarantined.source_key,
        sender=quarantined.sender,
        subject=quarantined.subject,
        outcome=RELEASED,
        reason=reason[:2000],
        received_at=at,
        handling=quarantined.handling + 1,
        follows=quarantined.id,
    )
    session.add(entry)
    session.flush()
    return entry


class Recorded(NamedTuple):
    """A written outcome row: its id (what the action points at) and its reason as kept."""

    id: int
    reason: str


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
    text_digest: str = "",
    handling: int = 0,
) -> Recorded:
    """Write the outcome row, final as it is: inserted at once (not a table object left for
    a later flush), so that audit events can point at its id, and a second daemon that
    handled the same message meets the unique index here."""
    if outcome not in OUTCOMES or outcome == RELEASED:
        raise ValueError(f"unknown ledger outcome {outcome!r}")
    kept = reason[:2000]
    row = {
        "content_hash": content_hash,
        "message_id": message_id,
        "source_key": source_key,
        "sender": sender,
        "subject": subject[:500],
        "outcome": outcome.value,
        "reason": kept,
        "cr_id": cr_id,
        "raw": raw,
        "rules": rules[:1000],
        "text_digest": text_digest,
        "handling": handling,
        "received_at": at if at is not None else utcnow(),
    }
    written = session.connection().execute(_INSERT, row)
    key = written.inserted_primary_key
    assert key is not None, "an insert gives its row's key"
    return Recorded(int(key[0]), kept)


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
