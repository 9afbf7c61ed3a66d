"""One reader per mailbox: a daemon's side of the reader lease (store/lease.py, advisory.py).

Two daemons reading one mailbox both fetch every message and race on the ledger; one of
them adds nothing but noise. So each daemon asks for the mailbox: the reader handles its
mail (and runs the reminder sweep, which is not safe twice at once), confirms it still
reads every third of `lease_seconds`, and gives the mailbox up on a clean stop; the others
stand by, deliver the outbox where the database can lock rows (PostgreSQL), and look
again every third of `lease_seconds`.

What makes the reader the reader is the database's own: on PostgreSQL the session that
holds the mailbox's advisory lock, on SQLite the lease row and its fencing number. The
reader's handling runs inside `fence()`, so that a reader that lost the mailbox while
paused or cut off commits nothing, whenever it finds out.

Every check is also the daemon's own heartbeat (`DaemonBeat`), which `mailflow status`
lists; the lease uses the real clock, never the daemon's business clock.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection
from sqlmodel import Session

from mailflow.service.node import NODE, pid_gone
from mailflow.store import heartbeat
from mailflow.store.advisory import SessionLock
from mailflow.store.faults import describe, is_transient
from mailflow.store.heartbeat import Role
from mailflow.store.lease import Fenced, Tenure, give_up, holder_of, record, still_holds, take
from mailflow.store.session import Database, Fence

log = logging.getLogger(__name__)
_instances = itertools.count(1)


def real_now() -> datetime:
    return datetime.now(UTC)


def daemon_id(name: str = "") -> str:
    """The configured name, or host:pid:start (with a number when one process runs several)."""
    if name:
        return name
    started = f"{socket.gethostname()}:{os.getpid()}:{real_now():%Y%m%dT%H%M%S}"
    number = next(_instances)
    return started if number == 1 else f"{started}#{number}"


def _gone(row: heartbeat.DaemonBeat) -> bool:
    """Whether the process of a daemon row from this host no longer runs."""
    return pid_gone(row.pid)


class MailboxLease:
    """Whether this daemon reads `source` now; `check()` takes or confirms it."""

    def __init__(
        self,
        db: Database,
        source: str,
        seconds: float,
        name: str = "",
        now: Callable[[], datetime] = real_now,
    ) -> None:
        self.db, self.source, self.seconds, self.now = db, source, seconds, now
        self.id = daemon_id(name)
        self.holds = False
        self.holder = ""  # who read it at the last check (ourselves when we hold it)
        self._fence = 0  # SQLite: the lease's fencing number when we took it
        postgres = db.engine.dialect.name == "postgresql"
        self._lock = SessionLock(db.engine, source, seconds) if postgres else None
        self._next = 0.0  # monotonic time of the next check
        self._valid_until = 0.0  # monotonic: our lease surely has not run out before this
        self._started = False
        self._said_standby = False

    @property
    def role(self) -> Role:
        return Role.READING if self.holds else Role.STANDING_BY

    def until_check(self) -> float:
        """Seconds until the next check is due (0 when it is due now)."""
        return max(0.0, self._next - time.monotonic())

    def keep(self) -> bool:
        """During work: renew when due; False once the lease is lost (stop reading then)."""
        if self.until_check() == 0:
            self.check()
        return self.holds

    def check(self) -> bool:
        """Take or confirm the mailbox, and beat; True when this daemon has just become reader."""
        was, asked = self.holds, time.monotonic()
        every = self.seconds / 3
        try:
            now = self.now()
            tenure = self._claim(now, now + timedelta(seconds=self.seconds))
        except Exception as exc:  # noqa: BLE001 - the database may be down: keep what we know
            # SQLite: the fence guards a reader that keeps going; PostgreSQL: the lock is gone
            row_lease = self._lock is None
            self.holds = was and row_lease and time.monotonic() < self._valid_until
            self._next = time.monotonic() + min(1.0, every)
            self._warn(exc)
            return False
        self._started = True
        self.holds, self.holder, self._fence = tenure.held, tenure.holder, tenure.fence
        if tenure.held:
            self._valid_until = asked + self.seconds
            self._next = asked + every
        elif self._lock is not None:
            self._next = time.monotonic() + every  # the server frees the lock: no date to wait for
        else:
            # standing by: look again the moment the holder's lease runs out
            left = (tenure.expires_at - now).total_seconds()
            self._next = time.monotonic() + min(every, max(0.05, left + 0.05))
        self._log_change(was)
        return self.holds and not was

    def _claim(self, now: datetime, until: datetime) -> Tenure:
        """One attempt, committed: the lock (PostgreSQL) or the row (SQLite), and our beat.

        On PostgreSQL the row is written on the lock's own session, so a holder whose
        session has ended cannot note itself as the reader.
        """
        lock = self._lock
        held = lock is not None and lock.acquire()
        bind = lock.connection() if lock is not None and held else None
        with self.db.transaction(fenced=False, bind=bind) as session:
            if not self._started:
                self._forget_dead(session)
            if lock is None:
                tenure = take(session, self.source, self.id, now, until, node=NODE, dead=pid_gone)
            elif held:
                record(session, self.source, self.id, now, until, NODE)
                tenure = Tenure(True, self.id, until)
            else:
                row = holder_of(session, self.source)
                tenure = Tenure(False, row.holder if row else "", row.expires_at if row else now)
            role = Role.READING if tenure.held else Role.STANDING_BY
            heartbeat.beat_daemon(session, self.id, self.source, now, role=role)
        return tenure

    def fence(self) -> Fence:
        """What the reader's handling transactions must hold to commit (`Database.fenced`)."""
        return Fence(bind=self._bind, check=self._confirm)

    def _bind(self) -> Connection | None:
        """PostgreSQL: the lock's session, so that only its holder's work commits."""
        if self._lock is None:
            return None
        try:
            return self._lock.connection()
        except Fenced:
            self._lost()
            raise

    def _confirm(self, session: Session) -> None:
        """Last in each fenced transaction: are we still the reader? `Fenced` if not."""
        try:
            if self._lock is not None:
                self._lock.confirm(session.connection())
            elif not still_holds(session, self.source, self.id, self._fence):
                raise Fenced(f"another daemon reads {self.source} now")
        except Fenced:
            self._lost()
            raise

    def _lost(self) -> None:
        if self.holds:
            log.warning("%s: no longer reads %s; its last change is left to the reader",
                        self.id, self.source)  # fmt: skip
        self.holds, self._next = False, 0.0

    def note_error(self, error: str) -> None:
        """Put the error on this daemon's own row too, for `mailflow status`."""
        try:
            with self.db.transaction(fenced=False) as session:
                heartbeat.beat_daemon(session, self.id, self.source, self.now(), error=error)
        except Exception as exc:  # noqa: BLE001
            self._warn(exc)

    def release(self) -> None:
        """A clean stop: give the mailbox to whoever stands by, remove this daemon's row."""
        try:
            with self.db.transaction(fenced=False) as session:
                if self.holds:
                    give_up(session, self.source, self.id)
                heartbeat.forget_daemon(session, self.id)
        except Exception as exc:  # noqa: BLE001
            self._warn(exc)
        if self._lock is not None:
            self._lock.drop()
        if self.holds:
            log.debug("%s: gave up reading %s", self.id, self.source)
        self.holds = False

    def _forget_dead(self, session: Session) -> None:
        """At start: rows of daemons on this host whose process is gone died unannounced.

        Their alarm in `mailflow status` has done its work once this host runs a daemon
        again. A row wrongly taken for dead (another container with the same host name)
        comes back with that daemon's next beat.
        """
        for dead in heartbeat.forget_dead_on(session, socket.gethostname(), _gone):
            log.warning("daemon %s on this host stopped without a clean stop", dead)

    def _log_change(self, was: bool) -> None:
        """A line when the role changes, and one when a daemon starts out standing by."""
        if self.holds and not was:
            log.info("%s: now reading %s", self.id, self.source)
        elif was and not self.holds:
            log.warning("%s: lost the lease on %s to %s", self.id, self.source, self.holder)
        elif not self.holds and not self._said_standby:
            log.info("%s: standing by; %s reads %s", self.id, self.holder, self.source)
        self._said_standby = not self.holds

    def _warn(self, exc: Exception) -> None:
        if is_transient(exc):
            log.warning(
                "%s: could not check the lease on %s: %s", self.id, self.source, describe(exc)
            )
        else:
            log.exception("%s: could not check the lease on %s", self.id, self.source)
