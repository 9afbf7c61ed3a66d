"""What ops do with quarantined messages: list them, read one, hand one back after a fix.

A released message is put back into the source's inbox and handled as new. The release
is a ledger row of its own that points to the quarantined one, which stays as it was:
the message's next outcome is recorded under the next handling (store/ledger.py), so
the ledger no longer takes it for a duplicate, and its failure count starts again.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from mailflow.errors import MailflowError, NotFound
from mailflow.store import attempts, ledger
from mailflow.store.ledger import LedgerOutcome
from mailflow.store.tables import LedgerEntry
from mailflow.transport.base import Releasing, Source


def waiting(session: Session) -> list[LedgerEntry]:
    """Quarantined messages not yet released, oldest first."""
    return ledger.still_quarantined(session)


def entry(session: Session, entry_id: int) -> LedgerEntry:
    """One quarantined message by its ledger id."""
    found = session.get(LedgerEntry, entry_id)
    if found is None or found.outcome != LedgerOutcome.QUARANTINED:
        raise NotFound(f"no quarantined message {entry_id} (see `mailflow quarantine list`)")
    return found


def release(session: Session, source: Source, entry_id: int, now: datetime) -> LedgerEntry:
    """Put the message back into the inbox and record the release, in one transaction;
    returns the quarantined entry, unchanged.

    The message is put back before the commit: should the commit fail, the message in the
    inbox is a duplicate of the still-quarantined entry and is recorded as such.
    """
    found = entry(session, entry_id)
    if ledger.released(session, entry_id) is not None:
        raise MailflowError(f"message {entry_id} was already released")
    if found.raw is None:
        raise MailflowError(f"message {entry_id} has no stored copy to hand back")
    if not isinstance(source, Releasing):
        raise MailflowError(f"the source {type(source).__name__} cannot take messages back")
    attempts.forget(session, found.content_hash)
    why = f"released from quarantine (ledger entry {found.id}) {now:%Y-%m-%d %H:%M} UTC"
    ledger.release(session, found, why, now)
    source.put_back(found.source_key, found.raw)
    return found
