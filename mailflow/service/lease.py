"""One reader per mailbox: a daemon's side of the source lease (store/lease.py).

Two daemons reading one mailbox both fetch every message and race on the ledger; one of
them adds nothing but noise. So each daemon asks for the mailbox's lease: the holder
reads (and runs the reminder sweep, which is not safe twice at once), renews the lease
every third of its length, and gives it up on a clean stop; the others stand by, deliver
the outbox where the database can lock rows (PostgreSQL), and try again as soon as the
holder's lease runs out, so one takes over within `lease_seconds` of the holder's death.

Every check is also the daemon's own heartbeat (`DaemonBeat`), which `mailflow status`
lists; the lease uses the real clock, never the daemon's business clock, since other
daemons compare against it.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from mailflow.store import heartbeat
from mailflow.store.faults import describe, is_transient
from mailflow.store.heartbeat import Role
from mailflow.store.lease import give_up, take
from mailflow.store.session import Database

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


def node() -> str:
    """This machine and pid namespace: where a pid names one process ("" when unknown).

    A host name alone is not enough: containers may share one while each has its own pids.
    """
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return ""
    return f"{socket.gethostname()}/{boot}/{namespace}"


NODE = node()


def _pid_gone(pid: int) -> bool:
    """Whether no process has this pid on this node (a zombie counts as gone too)."""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as another user
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _gone(row: heartbeat.DaemonBeat) -> bool:
    """Whether the process of a daemon row from this host no longer runs."""
    return _pid_gone(row.pid)


class MailboxLease:
    """Whether this daemon reads `source` now; `check()` takes or renews the lease."""

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
        """Take or renew the lease and beat; True when this daemon has just become the reader."""
        was, asked = self.holds, time.monotonic()
        every = self.seconds / 3
        try:
            with self.db.transaction() as session:
                now = self.now()
                if not self._started:
                    self._forget_dead(session)
                until = now + timedelta(seconds=self.seconds)
                tenure = take(session, self.source, self.id, now, until, node=NODE, dead=_pid_gone)
                heartbeat.beat_daemon(
                    session,
                    self.id,
                    self.source,
                    now,
                    role=Role.READING if tenure.held else Role.STANDING_BY,
                )
        except Exception as exc:  # noqa: BLE001 - the database may be down: keep what we know
            self.holds = was and time.monotonic() < self._valid_until
            self._next = time.monotonic() + min(1.0, every)
            self._warn(exc)
            return False
        self._started = True
        self.holds, self.holder = tenure.held, tenure.holder
        if tenure.held:
            self._valid_until = asked + self.seconds
            self._next = asked + every
        else:
            # standing by: look again the moment the holder's lease runs out
            left = (tenure.expires_at - now).total_seconds()
            self._next = time.monotonic() + min(every, max(0.05, left + 0.05))
        self._log_change(was)
        return self.holds and not was

    def note_error(self, error: str) -> None:
        """Put the error on this daemon's own row too, for `mailflow status`."""
        try:
            with self.db.transaction() as session:
                heartbeat.beat_daemon(session, self.id, self.source, self.now(), error=error)
        except Exception as exc:  # noqa: BLE001
            self._warn(exc)

    def release(self) -> None:
        """A clean stop: give the lease to whoever stands by, remove this daemon's row."""
        try:
            with self.db.transaction() as session:
                if self.holds:
                    give_up(session, self.source, self.id)
                heartbeat.forget_daemon(session, self.id)
        except Exception as exc:  # noqa: BLE001
            self._warn(exc)
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
