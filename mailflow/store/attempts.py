"""How often handling a message has failed, kept across restarts, so a bad message is tried a
bounded number of times before it is quarantined and a good one is never given up on early.

Keyed by the message's content hash (the ledger's key), so a re-read of the same bytes
counts against the same budget whichever daemon or restart reads it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel


class HandlingFailure(SQLModel, table=True):
    __tablename__ = "handling_failure"

    content_hash: str = Field(primary_key=True)
    attempts: int = 0
    last_error: str = ""
    first_at: datetime
    last_at: datetime


def count_failure(session: Session, content_hash: str, error: str, now: datetime) -> int:
    """Add one failed attempt and return how many there have been."""
    row = session.get(HandlingFailure, content_hash) or HandlingFailure(
        content_hash=content_hash, first_at=now, last_at=now
    )
    row.attempts += 1
    row.last_error, row.last_at = error[:2000], now
    session.add(row)
    return row.attempts


def forget(session: Session, content_hash: str) -> None:
    """A released message starts again with its whole budget."""
    row = session.get(HandlingFailure, content_hash)
    if row is not None:
        session.delete(row)
