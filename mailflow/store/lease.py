"""Which daemon reads a mailbox: one lease row per source, held by one daemon at a time.

Several daemons may share one database and one mailbox. Only the holder of the source's
lease reads it; the holder renews the lease well before it runs out, and when the holder
dies its lease expires and a daemon standing by takes it. Renewing and taking over are each
one conditional UPDATE, and the first lease is an INSERT on the primary key: each is
atomic on SQLite and PostgreSQL alike, so two daemons never both come away holding it.
A lease row rather than `pg_try_advisory_lock` so that SQLite works the same way, and so
that `mailflow status` can say who reads.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col


class SourceLease(SQLModel, table=True):
    __tablename__ = "source_lease"

    source: str = Field(primary_key=True)
    holder: str
    expires_at: datetime
    taken_at: datetime
    # where the holder runs: machine and pid namespace (mailflow.service.lease.node), and its pid
    node: str = ""
    pid: int = 0


@dataclass(frozen=True)
class Tenure:
    """The outcome of one attempt: whether we hold it, and until when the holder does."""

    held: bool
    holder: str
    expires_at: datetime


def take(
    session: Session,
    source: str,
    holder: str,
    now: datetime,
    until: datetime,
    *,
    node: str = "",
    dead: Callable[[int], bool] = lambda _pid: False,
) -> Tenure:
    """Renew the lease if `holder` has it, take it over if it ran out, or leave it be.

    A holder on our own node whose process is `dead` (a crash, then a restart) is taken
    over at once rather than after its lease runs out.

    Commit the session straight after: the row stays locked (PostgreSQL) or the database
    write-locked (SQLite) until then, which is what makes a take-over a single winner's.
    """
    renewed = session.exec(
        update(SourceLease)
        .where(col(SourceLease.source) == source)
        .where(col(SourceLease.holder) == holder)
        .values(expires_at=until)
    )
    if renewed.rowcount == 1:
        return Tenure(True, holder, until)
    taken = session.exec(
        update(SourceLease)
        .where(col(SourceLease.source) == source)
        .where(or_(col(SourceLease.expires_at) < now, col(SourceLease.holder) == ""))
        .values(holder=holder, expires_at=until, taken_at=now, node=node, pid=os.getpid())
    )
    if taken.rowcount == 1:
        return Tenure(True, holder, until)
    current = session.get(SourceLease, source, populate_existing=True)
    if current is not None and node and current.node == node and dead(current.pid):
        crashed = session.exec(
            update(SourceLease)
            .where(col(SourceLease.source) == source)
            .where(col(SourceLease.holder) == current.holder)
            .values(holder=holder, expires_at=until, taken_at=now, pid=os.getpid())
        )
        if crashed.rowcount == 1:
            return Tenure(True, holder, until)
        current = session.get(SourceLease, source, populate_existing=True)
    if current is not None:
        return Tenure(False, current.holder, current.expires_at)
    try:
        with session.begin_nested():
            session.add(
                SourceLease(
                    source=source,
                    holder=holder,
                    expires_at=until,
                    taken_at=now,
                    node=node,
                    pid=os.getpid(),
                )
            )
    except IntegrityError:  # another daemon inserted it first: it holds the lease
        current = session.get(SourceLease, source, populate_existing=True)
        assert current is not None
        return Tenure(False, current.holder, current.expires_at)
    return Tenure(True, holder, until)


def give_up(session: Session, source: str, holder: str) -> None:
    """On a clean stop: free the lease at once, so a daemon standing by need not wait."""
    session.exec(
        update(SourceLease)
        .where(col(SourceLease.source) == source)
        .where(col(SourceLease.holder) == holder)
        .values(holder="")
    )


def holder_of(session: Session, source: str) -> SourceLease | None:
    return session.get(SourceLease, source)
