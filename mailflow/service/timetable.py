"""When the daemon's jobs run: the fixed timetable, and the growing pause after a fault.

Apart from the loop because these are the service's clocks, not its work: how often the
mailbox, the outbox, reminders and digests come round, and how long reading waits after a
store fault (1 s, doubling up to the poll interval) or a message asked to be handled later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import schedule

from mailflow.config.settings import Settings

Job = Callable[[], int]


@dataclass
class RetryPauses:
    """The pause between failed reads of the mailbox, on the monotonic clock."""

    backoff: float = 0.0
    blocked_until: float = 0.0  # after a transient fault: no reading before this
    resume_at: float = 0.0  # a read to retry what was left in the mailbox

    def next_pause(self, poll_seconds: float | None) -> float:
        """1 s, doubling up to the poll interval while failures go on."""
        ceiling = max(1.0, float(poll_seconds or 30))
        self.backoff = min(ceiling, self.backoff * 2 if self.backoff else 1.0)
        return self.backoff

    def block(self, poll_seconds: float | None) -> float:
        """After a store fault: no reading, then one read, when the next pause is over."""
        self.blocked_until = self.resume_at = time.monotonic() + self.next_pause(poll_seconds)
        return self.backoff

    def read_again_later(self, poll_seconds: float | None) -> None:
        """A message left in the mailbox: read again after a pause (the first one asked)."""
        self.resume_at = self.resume_at or time.monotonic() + self.next_pause(poll_seconds)

    def succeeded(self) -> None:
        self.backoff = 0.0

    def lift(self) -> None:
        """Asked to read now: a pause from a fault is over."""
        self.blocked_until = 0.0

    def blocked(self) -> bool:
        return time.monotonic() < self.blocked_until

    def until_retry(self) -> float:
        """Seconds until a backed-off mailbox read is due (a large number when none is)."""
        return max(0.0, self.resume_at - time.monotonic()) if self.resume_at else 3600.0

    def take_retry(self) -> bool:
        """Whether the backed-off read is due now; it is then no longer pending."""
        if self.resume_at and time.monotonic() >= self.resume_at:
            self.resume_at = 0.0
            return True
        return False


def timetable(
    settings: Settings,
    guarded: Callable[[Job], None],
    *,
    inbox: Job,
    outbox: Job,
    reminders: Job,
    digests: Job,
) -> schedule.Scheduler:
    """Each job at its interval, each run through `guarded` so one failure stops none."""
    jobs = schedule.Scheduler()
    jobs.every(max(1, round(settings.poll_seconds or 30))).seconds.do(guarded, inbox)
    jobs.every(10).seconds.do(guarded, outbox)
    every_check = max(1, round(settings.reminder_check_minutes or 15))
    jobs.every(every_check).minutes.do(guarded, reminders)
    jobs.every(every_check).minutes.do(guarded, digests)
    return jobs
