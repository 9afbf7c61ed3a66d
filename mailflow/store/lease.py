"""Which daemon reads a mailbox: one lease row per source, and on SQLite its fencing number.

Several daemons may share one database and one mailbox; only one may handle its mail.
On PostgreSQL the reader is whoever holds the source's advisory lock (store/advisory.py)
and this row only tells `mailflow status` who that is. On SQLite, one machine, the row is
the lease itself: the holder renews it well before it runs out, and a daemon standing by
takes it over once it has (or at once when the holder's process is gone). Renewing and
taking over are each one conditional UPDATE, and the first lease an INSERT on the primary
key, so two daemons never both come away holding it.

Expiry compares one daemon's clock with another's, so by itself it could give two
readers (clocks apart, or a reader paused past its lease). Hence `fence`: a take-over
adds one to it, and each of the reader's handling transactions commits only if the
number is still the one it took the lease with (`still_holds`). A reader that lost the
lease, however late it learns so, commits nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col

from mailflow.errors import TransientError


class SourceLease(SQLModel, table=True):
    __tablename__ = "source_lease"

    source: str = Field(primary_key=True)
    holder: str
    expires_at: datetime
    taken_at: datetime
    # where the holder runs: machine and pid namespace (mailflow.service.lease.node), and its pid
    node: str = ""
    pid: int = 0
    # one more at each take-over (SQLite): the holder's commits check it is still theirs
    fence: int = 0


class Fenced(TransientError):
    """This daemon lost the mailbox to another while handling: nothing it did is kept."""


@dataclass(frozen=True)
class Tenure:
    """The outcome of one attempt: whether we hold it, until when the holder does, and the
    fencing number our commits must find (meaningful only when held)."""

    held: bool
    holder: str
    expires_at: datetime
    fence: int = 0


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
    if _claim(session, source, col(SourceLease.holder) == holder, expires_at=until):
        return _tenure(session, source, holder)
    ours: dict[str, Any] = {"holder": holder, "expires_at": until, "taken_at": now, "node": node}
    over = {**ours, "pid": os.getpid(), "fence": SourceLease.fence + 1}
    free = or_(col(SourceLease.expires_at) < now, col(SourceLease.holder) == "")
    if _claim(session, source, free, **over):
        return _tenure(session, source, holder)
    current = session.get(SourceLease, source, populate_existing=True)
    if current is None:
        return _first(session, SourceLease(source=source, pid=os.getpid(), **ours))
    if node and current.node == node and dead(current.pid):
        _claim(session, source, col(SourceLease.holder) == current.holder, **over)
    return _tenure(session, source, holder)


def _claim(session: Session, source: str, condition: Any, **values: Any) -> bool:
    """One conditional UPDATE of the source's row; whether it applied."""
    done = session.exec(
        update(SourceLease)
        .where(col(SourceLease.source) == source)
        .where(condition)
        .values(**values)
    )
    return bool(done.rowcount == 1)


def _tenure(session: Session, source: str, holder: str) -> Tenure:
    """The row as it now stands, from `holder`'s side: held or not, until when, its number."""
    row = session.get(SourceLease, source, populate_existing=True)
    assert row is not None
    return Tenure(row.holder == holder, row.holder, row.expires_at, row.fence)


def _first(session: Session, row: SourceLease) -> Tenure:
    """No row yet: insert ours; losing that race means another daemon holds it."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        pass
    return _tenure(session, row.source, row.holder)


def still_holds(session: Session, source: str, holder: str, fence: int) -> bool:
    """Whether `holder` still holds the lease it took with number `fence`.

    Asked as an UPDATE, not a SELECT: on SQLite it takes the database's write lock, so no
    take-over can come between this answer and the commit that follows it.
    """
    return _claim(
        session,
        source,
        (col(SourceLease.holder) == holder) & (col(SourceLease.fence) == fence),
        fence=fence,
    )


def record(
    session: Session, source: str, holder: str, now: datetime, until: datetime, node: str
) -> None:
    """PostgreSQL: the holder of the advisory lock notes itself in the row, for `status`."""
    row = session.get(SourceLease, source, populate_existing=True)
    if row is None:
        row = SourceLease(source=source, holder=holder, expires_at=until, taken_at=now)
    elif row.holder != holder:
        row.holder, row.taken_at = holder, now
    row.expires_at, row.node, row.pid = until, node, os.getpid()
    session.add(row)


def give_up(session: Session, source: str, holder: str) -> None:
    """On a clean stop: free the lease at once, so a daemon standing by need not wait."""
    _claim(session, source, col(SourceLease.holder) == holder, holder="")


def holder_of(session: Session, source: str) -> SourceLease | None:
    return session.get(SourceLease, source)
