"""The service loop: read the mailbox, deliver the outbox, send reminders, stop cleanly.

A message is filed away at its source only after its transaction committed, in batches
(mailflow.transport.filing) and always before a pass ends; if filing fails, or the process
dies first, the message is read again later and the ledger turns it into a no-op. A transient
fault of the store ends the pass and the mailbox is read again after a growing pause
(1 s doubling to the poll interval); the message waits, unfiled, at its source.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import schedule

from mailflow.app import App
from mailflow.errors import (
    HandleLater,
    MailflowError,
    TransientError,
)
from mailflow.service import digest_mail, logs, pipeline, reminders, send
from mailflow.service.health import FaultWatch, write_places
from mailflow.service.lease import MailboxLease
from mailflow.service.reload import reload_config
from mailflow.store.faults import describe, is_transient
from mailflow.store.heartbeat import beat
from mailflow.transport.base import (
    HealthReporting,
    RawMessage,
    Sink,
    Source,
    Stateful,
    Waiting,
)
from mailflow.transport.filing import Filing

log = logging.getLogger(__name__)
# Messages handled in one transaction (each under its own savepoint): a commit and its
# fsync shared by many; small enough that a batch stays well inside a lease's renewal.
BATCH = 50


class _PassEnded(Exception):
    """The store failed while handling a message: this pass reads no further."""


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Counts:
    handled: int = 0
    sent: int = 0
    reminders: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


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
        self._backoff = 0.0
        self._blocked_until = 0.0  # after a transient fault: no reading before this
        self._resume_at = 0.0  # a read to retry what was left in the mailbox
        self._reload_wanted = False  # SIGHUP: re-read the configuration between passes
        self.faults = FaultWatch(write_places(app.settings))  # a full disk, a read-only folder

    def stop(self, *_: Any) -> None:
        """Finish the current message, then leave the loop."""
        self.stopping = True

    @property
    def reading(self) -> bool:
        """Whether this daemon reads the mailbox now (it holds the lease, or there is none)."""
        return self.lease is None or self.lease.holds

    def process_inbox(self) -> int:
        """Handle every waiting message; the heartbeat records the check when the pass ends."""
        done = 0
        if not self._still_reading():
            return 0
        try:
            done = self._process()
        except Exception as exc:
            self._beat(error=f"{type(exc).__name__}: {exc}")
            raise
        self._beat(checked=self.clock(), handled=done > 0)
        return done

    def _process(self) -> int:
        if time.monotonic() < self._blocked_until:
            return 0
        filing = Filing(self.source)
        try:
            done = self._handle_waiting(filing)
        except BaseException:
            self._file_quietly(filing)  # what committed before the fault is still filed
            raise
        filing.flush()
        return done

    def _handle_waiting(self, filing: Filing) -> int:
        """Handle the mailbox's messages in order, `BATCH` to a transaction; each is filed
        once the commit that holds it is done."""
        done = 0
        try:
            for chunk in self._batches():
                results = self._handle_batch(chunk)
                for raw, handled in zip(chunk, results, strict=True):
                    with logs.about(logs.message_id_in(raw.data)):
                        handled = handled or self._handle_alone(raw)
                        if handled is not None:
                            self._record(raw, handled, filing)
                            done += 1
        except _PassEnded:
            pass
        return done

    def _batches(self) -> Iterator[list[RawMessage]]:
        """The mailbox in chunks of up to `BATCH`, while this daemon should go on reading."""
        chunk: list[RawMessage] = []
        for raw in self.source.fetch():
            chunk.append(raw)
            if len(chunk) >= BATCH:
                if self.stopping or not self._still_reading():
                    return
                yield chunk
                chunk = []
        if chunk and not self.stopping and self._still_reading():
            yield chunk

    def _handle_batch(self, chunk: list[RawMessage]) -> list[pipeline.Handled | None]:
        """One transaction for the chunk (a lone message goes the plain way: no savepoint)."""
        if len(chunk) == 1:
            return [None]
        with self._fenced():
            return pipeline.handle_batch(self.app, chunk, self.clock())

    def _handle_alone(self, raw: RawMessage) -> pipeline.Handled | None:
        """One message in its own transaction: its outcome, or None to leave it for later;
        raises _PassEnded when the store failed (the message waits, unfiled)."""
        try:
            with self._fenced():
                return pipeline.handle(self.app, raw, self.clock())
        except HandleLater as exc:
            log.warning("%s: %s; it stays in the mailbox", raw.key, exc)
            self._resume_at = self._resume_at or time.monotonic() + self._retry_pause()
            return None
        except TransientError as exc:
            if not self._lost_mailbox():
                self._back_off(exc)
            raise _PassEnded from exc

    def _record(self, raw: RawMessage, handled: pipeline.Handled, filing: Filing) -> None:
        """A committed message: filed (soon), counted and logged."""
        self._backoff = 0.0
        filing.add(raw.key, handled.folder)  # type: ignore[arg-type]
        self.counts.handled += 1
        self.counts.outcomes[handled.outcome] = self.counts.outcomes.get(handled.outcome, 0) + 1
        log.info(
            "%s: %s (%s)%s",
            raw.key,
            handled.outcome,
            handled.reason,
            f" {handled.cr_id}" if handled.cr_id else "",
        )
        if self.on_message is not None:
            self.on_message(handled)

    @staticmethod
    def _file_quietly(filing: Filing) -> None:
        """File on the way out of a failed pass; a second fault is logged, not raised over
        the first (the messages stay in the inbox and are read again as no-ops)."""
        try:
            filing.flush()
        except Exception as exc:  # noqa: BLE001
            log.warning("could not file handled messages (read again later): %s", exc)

    def _retry_pause(self) -> float:
        """1 s, doubling up to the poll interval while failures go on."""
        ceiling = max(1.0, float(self.app.settings.poll_seconds or 30))
        self._backoff = min(ceiling, self._backoff * 2 if self._backoff else 1.0)
        return self._backoff

    def _back_off(self, exc: TransientError) -> None:
        """Pause reading until the pause is over; the message waits, unfiled, at its source."""
        self._blocked_until = self._resume_at = time.monotonic() + self._retry_pause()
        if not self.faults.seen(exc):
            log.warning("%s; reading again in %.0f s", exc, self._backoff)
        self._beat(error=str(exc))

    def _still_reading(self) -> bool:
        """Renew the lease when due; False when another daemon reads (stop reading then)."""
        return self.lease is None or self.lease.keep()

    def _fenced(self) -> AbstractContextManager[None]:
        """The reader's transactions within commit only while it still reads the mailbox."""
        return nullcontext() if self.lease is None else self.app.db.fenced(self.lease.fence())

    def _lost_mailbox(self) -> bool:
        """After a fault while handling: was it that another daemon reads now? (no pause then)"""
        if self.lease is None:
            return False
        self.lease.check()
        return not self.lease.holds

    def _may_deliver(self) -> bool:
        """The reader delivers (renewing its lease on the way); others only on PostgreSQL."""
        return self._still_reading() or self.app.db.engine.dialect.name == "postgresql"

    def deliver_outbox(self, limit: int = 200) -> int:
        """Send what is due, `limit` rows at a time until none is; each row's result is
        committed on its own.

        A backlog is sent at once, not `limit` rows per tick of the timer. A daemon standing
        by delivers too, but only where rows can be locked (PostgreSQL's SKIP LOCKED):
        SQLite ignores FOR UPDATE, and two senders could both send one row.
        """
        sent = 0
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
        if not self._still_reading():  # two sweeps at once could both remind: only the reader
            return 0
        with self._fenced():
            count = reminders.sweep(
                self.app, self.clock(), lambda: self.stopping or not self._still_reading()
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
            self._guarded(job)

    def _guarded(self, job: Callable[[], int]) -> None:
        faults_before = self.faults.count
        try:
            job()
        except TransientError as exc:
            if not self.faults.seen(exc):
                log.warning("%s: %s; will try again", job.__name__, exc)
        except MailflowError as exc:
            log.error("%s: %s", job.__name__, exc)
        except Exception as exc:  # noqa: BLE001 - the loop must outlive any one failure
            if not is_transient(exc):
                log.exception("%s failed; will try again", job.__name__)
            elif not self.faults.seen(exc):
                log.warning("%s: %s; will try again", job.__name__, describe(exc))
        else:
            self.faults.passed(faults_before)

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
            self._blocked_until = 0.0  # asked to read now: a pause from a fault is over
        try:
            log.info("%s", self._describe())
            if self.lease is not None:
                self.lease.check()
            self._beat(started=True)
            self.cycle()
            if not once:
                self._serve()
            else:
                log.info("%s", self._summary())
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self.lease is not None:
                self.lease.release()
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
        settings = self.app.settings
        jobs = schedule.Scheduler()
        jobs.every(max(1, round(settings.poll_seconds or 30))).seconds.do(
            self._guarded, self.inbox_then_outbox
        )
        jobs.every(10).seconds.do(self._guarded, self.deliver_outbox)
        jobs.every(max(1, round(settings.reminder_check_minutes or 15))).minutes.do(
            self._guarded, self.send_reminders
        )
        jobs.every(max(1, round(settings.reminder_check_minutes or 15))).minutes.do(
            self._guarded, self.send_digests
        )
        log.info("mailflow is running; stop it with SIGTERM or Ctrl-C")
        while not self.stopping:
            if self._reload_wanted:
                self._reload_wanted = False
                reload_config(self.app)
            self._wait(min(jobs.idle_seconds or 1.0, 5.0, self._until_retry(), self._until_lease()))
            if self.stopping:
                break
            if self.lease is not None and self.lease.until_check() == 0 and self.lease.check():
                self._guarded(self.inbox_then_outbox)  # just took over: read at once
            if self._resume_at and time.monotonic() >= self._resume_at:
                self._resume_at = 0.0
                self._guarded(self.inbox_then_outbox)
            jobs.run_pending()

    def _until_lease(self) -> float:
        """Seconds until the lease is renewed, or looked at again when standing by."""
        return self.lease.until_check() if self.lease is not None else 3600.0

    def _until_retry(self) -> float:
        """Seconds until a backed-off mailbox read is due (a large number when none is)."""
        return max(0.0, self._resume_at - time.monotonic()) if self._resume_at else 3600.0

    def inbox_then_outbox(self) -> int:
        """Handle waiting mail and send what it caused at once, not at the next outbox tick."""
        done = self.process_inbox()
        if done:
            self.deliver_outbox()
        return done

    def _beat(self, **facts: Any) -> None:
        """Record the watcher's pulse; a failing database must not stop the loop.

        The mailbox's row is written only by the daemon reading it: one standing by would
        overwrite the reader's position with its own empty one.
        """
        if self.lease is not None and facts.get("error"):
            self.lease.note_error(str(facts["error"]))
        if not self.reading:
            return
        state = self.source.state if isinstance(self.source, Stateful) else None
        try:
            with self.app.db.transaction() as session:
                beat(
                    session,
                    self.source_name,
                    self.clock(),
                    state=dict(state()) if state is not None else None,
                    **facts,
                )
        except Exception as exc:  # noqa: BLE001
            if self.faults.seen(exc):  # a full or read-only disk: said once already
                pass
            elif is_transient(exc):  # the database is down: one line, not a traceback
                log.warning("could not record the heartbeat: %s", describe(exc))
            else:
                log.exception("could not record the heartbeat")

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
                self._guarded(self.inbox_then_outbox)
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
