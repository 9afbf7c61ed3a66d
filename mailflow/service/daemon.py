"""The service loop: read the mailbox, deliver the outbox, send reminders, stop cleanly.

Each pass over the mailbox (mailflow.service.batches) files a message only after its
transaction committed; the timetable and the pause after a store fault are in
mailflow.service.timetable, the guard around each job and the heartbeat in
mailflow.service.watch, the lease's questions in mailflow.service.read_right. This module
is the loop that ties them together and answers signals.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from mailflow.app import App
from mailflow.service import digest_mail, handoff, pipeline, reminders, send
from mailflow.service.batches import Counts, MailboxPass
from mailflow.service.handoff import Handoff
from mailflow.service.helper_process import HelperProcess
from mailflow.service.lease import MailboxLease
from mailflow.service.read_right import ReadRight
from mailflow.service.reload import reload_config
from mailflow.service.timetable import RetryPauses, timetable
from mailflow.service.watch import Watch
from mailflow.transport.base import HealthReporting, Sink, Source, Waiting
from mailflow.transport.factory import sink_recipe

__all__ = ["Counts", "Daemon", "utcnow"]

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Daemon:
    """Owns a source and a sink; each job catches its own errors so the loop never dies."""

    def __init__(
        self,
        app: App,
        source: Source,
        sink: Sink,
        clock: Callable[[], datetime] = utcnow,
        on_message: Callable[[pipeline.Handled], None] | None = None,
        source_name: str = "",
        lease: MailboxLease | None = None,
    ) -> None:
        self.app, self.source, self.sink, self.clock = app, source, sink, clock
        self.lease = lease  # None: the only daemon, it always reads (tests, the demo)
        self.on_message = on_message
        self.source_name = source_name or type(source).__name__
        self.stopping = False
        self.counts = Counts()
        self.right = ReadRight(app, lease)
        self.pauses = RetryPauses()
        self._reload_wanted = False  # SIGHUP: re-read the configuration between passes
        self.watch = Watch(app, self.right, clock)
        self.faults = self.watch.faults  # a full disk, a read-only folder
        self._helper: HelperProcess | None = None  # started by the first backlog
        self._helper_failed = False  # it could not be started: not tried again
        self._handoff: Handoff | None = None  # with the helper, where only the reader sends

    def stop(self, *_: Any) -> None:
        """Finish the current message, then leave the loop."""
        self.stopping = True

    @property
    def reading(self) -> bool:
        """Whether this daemon reads the mailbox now (it holds the lease, or there is none)."""
        return self.right.reading

    def process_inbox(self, then: Callable[[], object] | None = None) -> int:
        """Handle every waiting message, and run `then` once they are committed, before the
        last of them are filed; the heartbeat records the check when the pass ends."""
        if not self.right.keep():
            return 0
        one_pass = MailboxPass(
            self.app, self.source, self.clock, self.right, self.pauses, self.watch, self.counts,
            go_on=lambda: not self.stopping and self.right.keep(),
            on_error=lambda error: self._beat(error=error),
            on_message=self.on_message,
            then=then,
            helper=self.helper,
            between=self._hand_off,
        )  # fmt: skip
        try:
            done = one_pass.run()
        except Exception as exc:
            self._beat(error=f"{type(exc).__name__}: {exc}")
            raise
        self._beat(checked=self.clock(), handled=done > 0)
        return done

    def helper(self) -> HelperProcess | None:
        """The helper process, started now if it is not running: from here on it parses the
        next batch of a backlog and composes every mail (mailflow.service.helper_process).
        None where no process can be started (a limit on processes, say): the
        daemon then does that work itself, as it does for a single message."""
        if self._helper is None and not self._helper_failed:
            settings = self.app.settings
            try:
                self._helper = HelperProcess(
                    (settings.shared_inbox, settings.from_name, settings.message_id_domain)
                )
            except Exception as exc:  # noqa: BLE001 - slower without it, never stopped by it
                self._helper_failed = True
                log.warning("no helper process (%s); handling the backlog in one process", exc)
                return None
            self.app.compose_ahead = self._helper.compose
            log.info("a backlog is waiting: parsing and composing in a helper process")
        return self._helper

    def _hand_off(self) -> None:
        """Between two batches of a backlog: the mail already committed goes to the helper
        to send while the next batch is handled (mailflow.service.handoff)."""
        if self._handoff is None:
            self._handoff = self._start_handoff()
        if self._handoff is not None and self._may_deliver():
            self._handoff.step()

    def _start_handoff(self) -> Handoff | None:
        recipe = sink_recipe(self.sink)
        only_sender = self.app.db.engine.dialect.name != "postgresql"
        if self._helper is None or recipe is None or not only_sender:
            return None
        try:
            return Handoff(self.app, self._helper, recipe, self.clock, self._count_sent)
        except OSError as exc:  # no folder for its journals: the daemon sends it all itself
            log.warning("sending during a backlog only after it (%s)", exc)
            return None

    def _count_sent(self, sent: int) -> None:
        self.counts.sent += sent

    def _finish_handoff(self) -> None:
        if self._handoff is not None:
            self._handoff.finish()

    def close_helper(self) -> None:
        """Stop the helper once the mail it was sending is recorded; the mails it was
        composing are composed here when needed."""
        self._finish_handoff()
        self._handoff = None
        helper, self._helper = self._helper, None
        if helper is not None:
            self.app.compose_ahead = None
            helper.close()

    def _may_deliver(self) -> bool:
        """The reader delivers (renewing its lease on the way); others only on PostgreSQL."""
        return self.right.keep() or self.app.db.engine.dialect.name == "postgresql"

    def deliver_outbox(self, limit: int = 200) -> int:
        """Send what is due, `limit` rows at a time until none is; each row's result is
        committed on its own.

        A backlog is sent at once, not `limit` rows per tick of the timer. A daemon standing
        by delivers too, but only where rows can be locked (PostgreSQL's SKIP LOCKED):
        SQLite ignores FOR UPDATE, and two senders could both send one row. The mail a
        hand-off sent (this daemon's, or a killed one's) is recorded first.
        """
        self._finish_handoff()
        sent = 0
        if self._may_deliver():
            handoff.fold_left_over(self.app, self.clock())
        while not self.stopping and self._may_deliver():
            done = send.deliver_due(
                self.app, self.sink, self.clock, limit,
                go_on=lambda: not self.stopping and self._may_deliver(),
            )  # fmt: skip
            sent += done.sent
            self.counts.sent += done.sent
            if done.due < limit or done.tried == 0:  # all that was due, or rows others hold
                break
        return sent

    def send_reminders(self) -> int:
        """Remind (then escalate) every open stage that has waited past its interval."""
        if not self.right.keep():  # two sweeps at once could both remind: only the reader
            return 0
        with self.right.fenced():
            count = reminders.sweep(
                self.app, self.clock(), lambda: self.stopping or not self.right.keep()
            )
        self.counts.reminders += count
        return count

    def send_digests(self) -> int:
        """The weekly digests, once the configured weekday and hour have come."""
        return digest_mail.send_due(self.app, self.clock())

    def cycle(self) -> None:
        """One pass of every job, each guarded so one failing job does not stop the others."""
        for job in (
            self.process_inbox,
            self.deliver_outbox,
            self.send_reminders,
            self.send_digests,
            self.deliver_outbox,
        ):
            if self.stopping:
                return
            self.watch.guarded(job)

    def run(self, once: bool = False) -> None:
        """Process until stopped (SIGTERM / SIGINT), or one cycle with once=True."""
        previous = {}
        if not once and threading.current_thread() is threading.main_thread():
            # Before any work: a signal during the start-up backlog must stop cleanly too.
            previous = {
                s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)
            }
            previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._on_hangup)
        if once:
            self.pauses.lift()  # asked to read now: a pause from a fault is over
        try:
            log.info("%s", self._describe())
            self.right.check()
            self._beat(started=True)
            self.cycle()
            if not once:
                self._serve()
            else:
                log.info("%s", self._summary())
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.close_helper()
            self.right.release()
            if not once:
                log.info("mailflow stopped")

    def _describe(self) -> str:
        """The start-up line: which configuration, mailbox, database and workflow."""
        settings, url = self.app.settings, self.app.settings.database_url
        database = url.split("@")[-1] if "@" in url else url
        workflow = settings.workflow_path or "built-in"
        return (
            f"mailflow starting: config {settings.path or '(built in)'}, mailbox "
            f"{self.source_name}, database {database}, workflow "
            f"{self.app.workflow.name} ({workflow})"
        )

    def _summary(self) -> str:
        """The one line `run --once` ends with."""
        counts = self.counts
        outcomes = ", ".join(f"{n} {k}" for k, n in sorted(counts.outcomes.items()))
        return (
            f"done: {counts.handled} message(s) handled ({outcomes or 'none waiting'}), "
            f"{counts.sent} mail(s) sent, {counts.reminders} reminder(s)"
        )

    def _serve(self) -> None:
        jobs = timetable(
            self.app.settings,
            self.watch.guarded,
            inbox=self.inbox_then_outbox,
            outbox=self.deliver_outbox,
            reminders=self.send_reminders,
            digests=self.send_digests,
        )
        log.info("mailflow is running; stop it with SIGTERM or Ctrl-C")
        while not self.stopping:
            if self._reload_wanted:
                self._reload_wanted = False
                reload_config(self.app)
            until_due = min(self.pauses.until_retry(), self.right.until_check())
            self._wait(min(jobs.idle_seconds or 1.0, 5.0, until_due))
            if self.stopping:
                break
            if self.right.taken_over():
                self.watch.guarded(self.inbox_then_outbox)  # just took over: read at once
            if self.pauses.take_retry():
                self.watch.guarded(self.inbox_then_outbox)
            jobs.run_pending()

    def inbox_then_outbox(self) -> int:
        """Handle waiting mail and send what it caused at once: before the messages are
        filed and the heartbeat written, not at the next outbox tick."""
        return self.process_inbox(then=self.deliver_outbox)

    def _beat(self, **facts: Any) -> None:
        self.watch.beat(self.source, self.source_name, **facts)

    def _wait(self, seconds: float) -> None:
        waiter = self.source.wait if isinstance(self.source, Waiting) and self.reading else None
        if waiter is not None and seconds > 0:
            try:
                arrived = waiter(seconds)
            except Exception as exc:  # noqa: BLE001
                log.exception("waiting for mail failed")
                self._beat(error=f"{type(exc).__name__}: {exc}")
                time.sleep(min(seconds, 1.0))
                return
            if arrived:  # mail first: the heartbeat's own commit must not delay the answer
                self.watch.guarded(self.inbox_then_outbox)
            source = self.source
            checked = source.health().last_check if isinstance(source, HealthReporting) else None
            if checked is not None:
                self._beat(checked=checked)
            return
        end = time.monotonic() + max(seconds, 0)
        while not self.stopping and time.monotonic() < end:
            time.sleep(min(0.2, end - time.monotonic()) if end > time.monotonic() else 0)

    def _on_hangup(self, _signum: int, _frame: FrameType | None) -> None:
        log.info("SIGHUP received: reloading the configuration after the current pass")
        self._reload_wanted = True

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s received: stopping after the current message", signum)
        self.stop()
