"""The watcher's heartbeat: when the mailbox was last checked and a message last handled.

It lives in the database so that `mailflow status`, run from another process or host,
sees what the service sees; the same row keeps the IMAP source's UIDVALIDITY and last
UID so a restarted service resumes where it stopped.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select


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
