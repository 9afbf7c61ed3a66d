"""The watcher's heartbeat: when the mailbox was last checked and a message last handled.

It lives in the database so that `mailflow status`, run from another process or host,
sees what the service sees; the same row keeps the IMAP source's UIDVALIDITY and last
UID so a restarted service resumes where it stopped. That row is the mailbox's and only
the daemon reading it writes it; each daemon also keeps a row of its own (`DaemonBeat`),
so a daemon standing by that died is noticed too.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, delete, select


class Heartbeat(SQLModel, table=True):
    __tablename__ = "heartbeat"

    source: str = Field(primary_key=True)
    host: str = ""
    pid: int = 0
    started_at: datetime | None = None
    last_check: datetime | None = None
    last_message: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime | None = None


def beat(
    session: Session,
    source: str,
    now: datetime,
    *,
    started: bool = False,
    checked: datetime | None = None,
    handled: bool = False,
    error: str | None = None,
    state: dict[str, Any] | None = None,
) -> Heartbeat:
    """Record what the watcher just did; only the facts given are changed."""
    row = session.get(Heartbeat, source) or Heartbeat(source=source)
    if started:
        row.started_at, row.host, row.pid = now, socket.gethostname(), os.getpid()
    if checked is not None:
        row.last_check = checked
    if handled:
        row.last_message = now
    if error is not None:
        row.last_error, row.last_error_at = error[:1000], now
    if state is not None:
        row.state = state
    row.updated_at = now
    session.add(row)
    return row


def all_beats(session: Session) -> list[Heartbeat]:
    return list(session.exec(select(Heartbeat).order_by(col(Heartbeat.source))).all())


class Role(StrEnum):
    """What a daemon does with its mailbox."""

    READING = "reading"
    STANDING_BY = "standing by"


class DaemonBeat(SQLModel, table=True):
    """One running daemon, keyed by its id (host:pid:start, or the configured name)."""

    __tablename__ = "daemon_beat"

    daemon: str = Field(primary_key=True)
    source: str = ""
    host: str = ""
    pid: int = 0
    role: str = Role.STANDING_BY.value
    started_at: datetime | None = None
    last_check: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None


def beat_daemon(
    session: Session,
    daemon: str,
    source: str,
    now: datetime,
    *,
    role: Role | None = None,
    error: str | None = None,
) -> DaemonBeat:
    """Record that this daemon is alive (and in which role, or what last went wrong)."""
    row = session.get(DaemonBeat, daemon)
    if row is None:
        row = DaemonBeat(daemon=daemon, host=socket.gethostname(), pid=os.getpid(), started_at=now)
    row.source = source
    if role is not None:
        row.role, row.last_check = role.value, now
    if error is not None:
        row.last_error, row.last_error_at = error[:1000], now
    session.add(row)
    return row


def forget_daemon(session: Session, daemon: str) -> None:
    """A clean stop: the row goes, so a daemon that was meant to stop is not an alarm."""
    session.exec(delete(DaemonBeat).where(col(DaemonBeat.daemon) == daemon))


def forget_dead_on(session: Session, host: str, dead: Callable[[DaemonBeat], bool]) -> list[str]:
    """Remove the rows of this host's daemons that `dead` says are gone; returns their ids."""
    rows = session.exec(select(DaemonBeat).where(DaemonBeat.host == host)).all()
    gone = [row.daemon for row in rows if dead(row)]
    for daemon in gone:
        forget_daemon(session, daemon)
    return gone


def all_daemons(session: Session) -> list[DaemonBeat]:
    return list(session.exec(select(DaemonBeat).order_by(col(DaemonBeat.daemon))).all())
