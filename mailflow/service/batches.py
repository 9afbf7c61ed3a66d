"""One read of the mailbox: its messages in batches, each filed only after its commit.

Apart from the loop because this is where the safety of a message lives: `BATCH` messages
share one transaction (each under its own savepoint); a message the batch could not settle is
handled alone; a committed message is filed at its source in batches (mailflow.transport.
filing) and always before the pass ends, even when it ends in a fault. If filing fails, or the
process dies first, the message is read again and the ledger turns it into a no-op. A
transient fault of the store ends the pass and pauses reading; the message waits, unfiled.

When more than one batch is waiting, the next batch is parsed in the helper process
(mailflow.service.helper_process) while this one is handled, and between two batches the
daemon may hand the mail they caused to that process to send (mailflow.service.handoff).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from mailflow.app import App
from mailflow.errors import HandleLater, TransientError
from mailflow.mail.parse import Inbound
from mailflow.service import logs, pipeline
from mailflow.service.helper_process import HelperProcess, Pending
from mailflow.service.read_right import ReadRight
from mailflow.service.timetable import RetryPauses
from mailflow.service.watch import Watch
from mailflow.transport.base import RawMessage, Source
from mailflow.transport.filing import Filing

log = logging.getLogger("mailflow.service.daemon")  # the daemon's lines, under its name
# Messages handled in one transaction (each under its own savepoint): a commit and its
# fsync shared by many; small enough that a batch stays well inside a lease's renewal.
BATCH = 50


class _PassEnded(Exception):
    """The store failed while handling a message: this pass reads no further."""


@dataclass
class Counts:
    """What the daemon has done since it started (the `run --once` summary, the exit code)."""

    handled: int = 0
    sent: int = 0
    reminders: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass
class MailboxPass:
    """One pass over the mailbox for one daemon; `run()` returns the messages handled."""

    app: App
    source: Source
    clock: Callable[[], datetime]
    right: ReadRight
    pauses: RetryPauses
    watch: Watch
    counts: Counts
    go_on: Callable[[], bool]  # False once the daemon stops or another one reads
    on_error: Callable[[str], None]  # the heartbeat's note of a fault
    on_message: Callable[[pipeline.Handled], None] | None = None
    # What to do once the messages are committed but before the last of them are filed:
    # the daemon sends the answers they caused, so that a reply's answer does not wait
    # on filing at the mailbox (a filed message is never read again; an unfiled one is,
    # and the ledger makes it a no-op, so the order is free).
    then: Callable[[], object] | None = None
    # The helper process, started on first call: asked for only when a backlog is waiting.
    helper: Callable[[], HelperProcess | None] | None = None
    # What to do after a batch is committed when another batch follows (the hand-off).
    between: Callable[[], object] | None = None

    def run(self) -> int:
        if self.pauses.blocked():
            return 0
        filing = Filing(self.source)
        try:
            done = self._handle_waiting(filing)
            if done and self.then is not None:
                self.then()
        except BaseException:
            _file_quietly(filing)  # what committed before the fault is still filed
            raise
        filing.flush()
        return done

    def _handle_waiting(self, filing: Filing) -> int:
        """Handle the mailbox's messages in order, `BATCH` to a transaction; each is filed
        once the commit that holds it is done."""
        done = 0
        try:
            for chunk, parsed, more in self._parsed_ahead():
                results = self._handle_batch(chunk, parsed)
                for raw, handled in zip(chunk, results, strict=True):
                    with logs.about(logs.message_id_in(raw.data)):
                        handled = handled or self._handle_alone(raw)
                        if handled is not None:
                            self._record(raw, handled, filing)
                            done += 1
                if more and self.between is not None:
                    self.between()
        except _PassEnded:
            pass
        return done

    def _batches(self) -> Iterator[list[RawMessage]]:
        """The mailbox in chunks of up to `BATCH`, while this daemon should go on reading."""
        chunk: list[RawMessage] = []
        for raw in self.source.fetch():
            chunk.append(raw)
            if len(chunk) >= BATCH:
                if not self.go_on():
                    return
                yield chunk
                chunk = []
        if chunk and self.go_on():
            yield chunk

    def _parsed_ahead(
        self,
    ) -> Iterator[tuple[list[RawMessage], list[Inbound | None] | None, bool]]:
        """Each chunk, with its messages parsed in the helper while the one before it was
        handled (None: parse them here), and whether another chunk follows. A single batch
        never starts the helper."""
        chunks = self._batches()
        current = next(chunks, None)
        if current is None:
            return
        ahead: Pending[list[Inbound | None]] | None = None
        for following in chunks:
            helper = self.helper() if self.helper is not None else None
            following_ahead = helper.parse([raw.data for raw in following]) if helper else None
            yield current, _parsed(ahead), True
            if not self.go_on():
                return  # read but not handled: it stays in the mailbox, unfiled
            current, ahead = following, following_ahead
        yield current, _parsed(ahead), False

    def _handle_batch(
        self, chunk: list[RawMessage], parsed: list[Inbound | None] | None
    ) -> list[pipeline.Handled | None]:
        """One transaction for the chunk (a lone message goes the plain way: no savepoint)."""
        if len(chunk) == 1:
            return [None]
        with self.right.fenced():
            return pipeline.handle_batch(self.app, chunk, self.clock(), parsed)

    def _handle_alone(self, raw: RawMessage) -> pipeline.Handled | None:
        """One message in its own transaction: its outcome, or None to leave it for later;
        raises _PassEnded when the store failed (the message waits, unfiled)."""
        try:
            with self.right.fenced():
                return pipeline.handle(self.app, raw, self.clock())
        except HandleLater as exc:
            log.warning("%s: %s; it stays in the mailbox", raw.key, exc)
            self.pauses.read_again_later(self.app.settings.poll_seconds)
            return None
        except TransientError as exc:
            if not self.right.lost():
                self._back_off(exc)
            raise _PassEnded from exc

    def _back_off(self, exc: TransientError) -> None:
        """Pause reading until the pause is over; the message waits, unfiled, at its source."""
        pause = self.pauses.block(self.app.settings.poll_seconds)
        if not self.watch.faults.seen(exc):
            log.warning("%s; reading again in %.0f s", exc, pause)
        self.on_error(str(exc))

    def _record(self, raw: RawMessage, handled: pipeline.Handled, filing: Filing) -> None:
        """A committed message: filed (soon), counted and logged."""
        self.pauses.succeeded()
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


def _parsed(ahead: Pending[list[Inbound | None]] | None) -> list[Inbound | None] | None:
    """The helper's parse, or None (parse here) when there was none or it failed."""
    if ahead is None:
        return None
    try:
        return ahead.result()
    except Exception as exc:  # noqa: BLE001 - the daemon parses them itself
        log.debug("the helper could not parse a batch (%s); parsing it here", exc)
        return None


def _file_quietly(filing: Filing) -> None:
    """File on the way out of a failed pass; a second fault is logged, not raised over the
    first (the messages stay in the inbox and are read again as no-ops)."""
    try:
        filing.flush()
    except Exception as exc:  # noqa: BLE001
        log.warning("could not file handled messages (read again later): %s", exc)
