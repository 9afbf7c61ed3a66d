"""Hand-off: the answers of a committed batch go out while the next batch is handled.

During a catch-up the daemon's one thread is busy handling messages, and sending what they
caused would wait until the whole backlog is handled. So between two batches the daemon
hands the mail that is due to its helper process (mailflow.service.helper_process), which
sends it over its own connection while the next batch is handled, and records the result
at the next pause between batches. One hand-off is out at a time, so the rate limits see
every mail sent before they choose the next ones.

A mail the sink accepted is written to the hand-off's journal before anything else
(mailflow.service.handoff_sender). Recording a hand-off and delivering after a crash both
start from the journals: every id in one is marked sent, and only then is the journal
removed. A killed daemon therefore sends nothing twice from a hand-off, and loses nothing:
what the helper had not sent is still pending.

Only where the reader is the only sender (SQLite): on PostgreSQL other daemons deliver
too, choosing rows by their locks, and a handed-off row holds none.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mailflow.app import App
from mailflow.errors import PermanentSendError, TransientSendError
from mailflow.security import ratelimit
from mailflow.service.handoff_sender import Delivery, Outgoing, Refusal, Sent, journal_ids
from mailflow.service.helper_process import HelperProcess, HelperStopped, Pending
from mailflow.service.send import record_refusal
from mailflow.store import outbox
from mailflow.store.message_tables import OutboxRow
from mailflow.transport.factory import SinkRecipe

log = logging.getLogger(__name__)
# A batch causes about as many mails; a little room for what the rate limits held back.
HANDOFF_LIMIT = 200
_SUFFIX = ".sent"


def journal_folder(app: App) -> Path:
    return app.settings.data_dir / "sending"


@dataclass(frozen=True)
class _Flight:
    journal: Path
    answer: Pending[list[Sent]]


class Handoff:
    """One daemon's hand-offs to its helper process; `step()` between batches, `finish()`
    before the daemon delivers by itself or stops its helper."""

    def __init__(
        self,
        app: App,
        helper: HelperProcess,
        sink: SinkRecipe,
        clock: Callable[[], datetime],
        counted: Callable[[int], None],
    ) -> None:
        self.app, self.helper, self.sink, self.clock = app, helper, sink, clock
        self.counted = counted
        self.folder = journal_folder(app)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._name = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._handed = 0
        self._flight: _Flight | None = None

    def step(self) -> None:
        """Record the hand-off out if it is done, then hand over what is due now. Never
        waits for the helper."""
        if self._flight is not None:
            self.helper.poll()
            if not self._flight.answer.done:
                return
            self._record()
        if not self.helper.running:
            return
        try:
            self._hand_over()
        except Exception as exc:  # noqa: BLE001 - handling goes on; the mail goes after it
            log.warning("could not hand mail to the helper (%s); it is sent after the backlog", exc)

    def finish(self) -> None:
        """Wait for the hand-off out, and record it."""
        if self._flight is not None:
            self._record()

    def _hand_over(self) -> None:
        """The mail due now to the helper; what an earlier hand-off sent (this daemon's, or
        a killed one's) is marked sent first, so that it is not due."""
        fold_left_over(self.app, self.clock())
        with self.app.db.session() as session:
            due = ratelimit.due(session, self.clock(), self.app.settings.limits, HANDOFF_LIMIT)
            mails = outbox.pending_mails(session, [row.id for row in due])
        if not mails:
            return
        self._handed += 1
        journal = self.folder / f"{self._name}-{self._handed}{_SUFFIX}"
        outgoing = [Outgoing(m.id, m.envelope_from, m.recipients, m.data) for m in mails]
        answer = self.helper.deliver(Delivery(str(journal), self.sink, outgoing))
        self._flight = _Flight(journal, answer)

    def _record(self) -> None:
        """The journal's ids marked sent, the refusals recorded; a fault of the store leaves
        the journal for the next delivery (`fold_left_over`)."""
        assert self._flight is not None
        flight, self._flight = self._flight, None
        try:
            refused = [s for s in flight.answer.result() if s.refusal is not None]
        except HelperStopped:
            refused = []  # what it sent is in its journal; the rest is still pending
        try:
            self.counted(fold(self.app, flight.journal, self.clock(), refused))
        except Exception as exc:  # noqa: BLE001 - recorded at the next delivery instead
            log.warning("could not record mail the helper sent (%s); recorded later", exc)


def fold(app: App, journal: Path, now: datetime, refused: Iterable[Sent] = ()) -> int:
    """Mark every id in `journal` sent and record `refused`, in one transaction; then remove
    the journal. Waits for a helper still sending into it. Returns the ids marked."""
    try:
        fd = os.open(journal, os.O_RDONLY)
    except FileNotFoundError:
        fd = None  # the helper never began: nothing was sent
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        ids = list(journal_ids(str(journal))) if fd is not None else []
        with app.db.transaction() as session:
            outbox.mark_all_sent(session, ids, now)
            for refusal in refused:
                row = session.get(OutboxRow, refusal.id)
                if row is not None and row.status == outbox.PENDING:
                    failure = (
                        TransientSendError(refusal.why)
                        if refusal.refusal is Refusal.TEMPORARY
                        else PermanentSendError(refusal.why)
                    )
                    record_refusal(session, row, failure, now)
        if fd is not None:
            journal.unlink(missing_ok=True)
        return len(ids)
    finally:
        if fd is not None:
            os.close(fd)


def fold_left_over(app: App, now: datetime) -> int:
    """The journals of hand-offs nobody recorded (a daemon killed, a store fault): their
    mail marked sent before anything is delivered again. Returns the ids marked."""
    folder = journal_folder(app)
    if not folder.is_dir():
        return 0
    marked = 0
    for journal in sorted(folder.glob(f"*{_SUFFIX}")):
        with contextlib.suppress(FileNotFoundError):
            marked += fold(app, journal, now)
    if marked:
        log.info("%d mail(s) sent before a restart are now recorded as sent", marked)
    return marked
