"""Mail that goes out at most once per period: a row per (kind, key, period), claimed in
the transaction that queues the mail.

The weekly digests (once per recipient per week) and the note to a CSM about a stranger
writing on her CR (once per CR and sender per day) are claimed here. The primary key
makes the claim hold across restarts and between several daemons: the second claimant
inserts nothing, learns it lost, and queues nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel


class OnceKind(StrEnum):
    """What is sent at most once per period."""

    DIGEST = "digest"
    STRANGER_NOTE = "stranger_note"


class SentOnce(SQLModel, table=True):
    __tablename__ = "sent_once"

    kind: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    period: str = Field(primary_key=True)
    at: datetime


def week_of(at: datetime) -> str:
    """The ISO week of a UTC time, e.g. 2026-W45: one digest period."""
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


def day_of(at: datetime) -> str:
    """The UTC day of a time, e.g. 2026-11-02: one stranger-note period."""
    return f"{at:%Y-%m-%d}"


def sent(session: Session, kind: OnceKind, key: str, period: str) -> bool:
    """Whether this was already claimed for the period."""
    return session.get(SentOnce, (kind.value, key, period)) is not None


def claim(session: Session, kind: OnceKind, key: str, period: str, now: datetime) -> bool:
    """Claim the period inside the caller's transaction; False when it was already claimed.

    INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL alike): a claim another daemon
    holds, committed or about to be, makes this one a no-op instead of an error that would
    spoil the caller's transaction.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if postgres else sqlite.insert
    statement = (
        insert(SentOnce)
        .values(kind=kind.value, key=key, period=period, at=now)
        .on_conflict_do_nothing()
    )
    done = session.connection().execute(statement)
    return bool(done.rowcount == 1)
