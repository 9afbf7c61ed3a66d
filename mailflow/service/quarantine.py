"""What ops do with quarantined messages: list them, read one, hand one back after a fix.

A released message is put back into the source's inbox and handled as new: its ledger
entry keeps the quarantine on record but gives up its keys (content hash and Message-ID),
so the ledger no longer takes the message for a duplicate, and its failure count starts
again.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from mailflow.errors import MailflowError, NotFound
from mailflow.store import attempts
from mailflow.store.ledger import LedgerOutcome
from mailflow.store.tables import LedgerEntry
from mailflow.transport.base import Releasing, Source

RELEASED = "released:"


def waiting(session: Session) -> list[LedgerEntry]:
    """Quarantined messages not yet released, oldest first."""
    rows = session.exec(
        select(LedgerEntry)
        .where(col(LedgerEntry.outcome) == LedgerOutcome.QUARANTINED)
        .where(col(LedgerEntry.content_hash).not_like(f"{RELEASED}%"))
        .order_by(col(LedgerEntry.id))
    )
    return list(rows.all())


def entry(session: Session, entry_id: int) -> LedgerEntry:
    """One quarantined message by its ledger id."""
    found = session.get(LedgerEntry, entry_id)
    if found is None or found.outcome != LedgerOutcome.QUARANTINED:
        raise NotFound(f"no quarantined message {entry_id} (see `mailflow quarantine list`)")
    return found


def release(session: Session, source: Source, entry_id: int, now: datetime) -> LedgerEntry:
    """Put the message back into the inbox and free its ledger keys, in one transaction.

    The message is put back before the commit: should the commit fail, the message in the
    inbox is a duplicate of the still-quarantined entry and is recorded as such.
    """
    found = entry(session, entry_id)
    if found.content_hash.startswith(RELEASED):
        raise MailflowError(f"message {entry_id} was already released")
    if found.raw is None:
        raise MailflowError(f"message {entry_id} has no stored copy to hand back")
    if not isinstance(source, Releasing):
        raise MailflowError(f"the source {type(source).__name__} cannot take messages back")
    digest = found.content_hash
    attempts.forget(session, digest)
    found.content_hash = f"{RELEASED}{found.id}:{digest}"
    was = f"; released {now:%Y-%m-%d %H:%M} UTC (Message-ID {found.message_id or 'none'})"
    found.message_id = ""
    found.reason = (found.reason + was)[:2000]
    session.add(found)
    session.flush()
    source.put_back(found.source_key, found.raw)
    return found
