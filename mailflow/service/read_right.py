"""The daemon's right to read the mailbox: its lease, or none when it is the only daemon.

Apart from the loop because reading, filing, reminders and the heartbeat all ask the same
questions (do we read now? may this transaction commit?) and must get the same answers; a
daemon without a lease (tests, the demo) always reads and its transactions are not fenced.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from mailflow.app import App
from mailflow.service.lease import MailboxLease


class ReadRight:
    """Answers for one daemon whether, and under which fence, it reads its mailbox."""

    def __init__(self, app: App, lease: MailboxLease | None) -> None:
        self.app, self.lease = app, lease

    @property
    def reading(self) -> bool:
        """Whether this daemon reads the mailbox now (it holds the lease, or there is none)."""
        return self.lease is None or self.lease.holds

    def keep(self) -> bool:
        """Renew the lease when due; False when another daemon reads (stop reading then)."""
        return self.lease is None or self.lease.keep()

    def fenced(self) -> AbstractContextManager[None]:
        """The reader's transactions within commit only while it still reads the mailbox."""
        return nullcontext() if self.lease is None else self.app.db.fenced(self.lease.fence())

    def lost(self) -> bool:
        """After a fault while handling: was it that another daemon reads now? (no pause then)"""
        if self.lease is None:
            return False
        self.lease.check()
        return not self.lease.holds

    def check(self) -> bool:
        """Take or confirm the lease; True when this daemon has just become the reader."""
        return self.lease is not None and self.lease.check()

    def taken_over(self) -> bool:
        """Whether the lease was due a look and this daemon has just become the reader."""
        return self.lease is not None and self.lease.until_check() == 0 and self.lease.check()

    def until_check(self) -> float:
        """Seconds until the lease is renewed, or looked at again when standing by."""
        return self.lease.until_check() if self.lease is not None else 3600.0

    def note_error(self, error: str) -> None:
        if self.lease is not None:
            self.lease.note_error(error)

    def release(self) -> None:
        if self.lease is not None:
            self.lease.release()
