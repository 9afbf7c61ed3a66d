"""The helper process's side of a hand-off: send committed mail, and write down each one
the sink accepted before anything else happens.

The daemon decides what is due and records the results (mailflow.service.handoff); this
thread only talks to the sink. Its one promise is the journal: the moment the sink has
accepted a mail, its outbox row id is appended to the delivery's journal file, which this
thread holds locked until the delivery ends. A daemon killed mid-delivery therefore loses
nothing: whoever delivers next takes the lock (waiting for this thread's mail in hand),
marks every id in the journal sent, and only then sends what is still pending.

The thread stops after the mail in hand when the daemon is gone (its parent changed),
when the daemon closed the pipe, or after `SEND_FOR_SECONDS`; what it did not try stays
pending for the daemon's own delivery. So does the rest of a delivery after a temporary
refusal: a server in trouble is not asked again for every mail.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from enum import Enum
from typing import NamedTuple

from mailflow.errors import PermanentSendError
from mailflow.transport.base import Sink
from mailflow.transport.factory import SinkRecipe, sink_from_recipe

# Far below a lease's length, so a daemon that takes the mailbox over never waits long for
# a stalled daemon's delivery to end (it takes the journal's lock first).
SEND_FOR_SECONDS = 10.0


class Outgoing(NamedTuple):
    """One committed mail, as the sink takes it."""

    id: int
    envelope_from: str
    recipients: list[str]
    data: bytes


class Refusal(Enum):
    TEMPORARY = "temporary"  # the row waits for its retry time
    PERMANENT = "permanent"  # the row fails for good, on the CR's timeline


class Sent(NamedTuple):
    """What became of one mail that was tried: accepted (refusal None) or refused, and why."""

    id: int
    refusal: Refusal | None
    why: str = ""


class Delivery(NamedTuple):
    journal: str  # the file this delivery appends accepted row ids to
    sink: SinkRecipe
    mails: list[Outgoing]


def send_all(delivery: Delivery, sink: Sink, go_on: Callable[[], bool]) -> list[Sent]:
    """Send the delivery's mails in order while `go_on()` holds; each accepted one is in the
    journal before the next is tried. Stops at the first temporary refusal."""
    tried: list[Sent] = []
    with _journal(delivery.journal) as accepted:
        for mail in delivery.mails:
            if not go_on():
                break
            try:
                sink.send(mail.envelope_from, mail.recipients, mail.data)
            except PermanentSendError as exc:
                tried.append(Sent(mail.id, Refusal.PERMANENT, str(exc)))
                continue
            except Exception as exc:  # noqa: BLE001 - any other fault: try again later
                tried.append(Sent(mail.id, Refusal.TEMPORARY, str(exc)))
                break
            accepted(mail.id)
            tried.append(Sent(mail.id, None))
    return tried


@contextlib.contextmanager
def _journal(path: str) -> Iterator[Callable[[int], None]]:
    """The journal, locked for the delivery; each id is one write of one line, which a
    killed process cannot leave half done."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield lambda row_id: _write_line(fd, row_id)
    finally:
        os.close(fd)  # the lock goes with it


def _write_line(fd: int, row_id: int) -> None:
    os.write(fd, f"{row_id}\n".encode())


class Sender:
    """The helper's sending thread: deliveries one at a time, in the order asked, each
    answered through `answer` when it is done."""

    def __init__(self, answer: Callable[[int, list[Sent]], None]) -> None:
        self._answer = answer
        self._work: queue.SimpleQueue[tuple[int, Delivery] | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._parent = os.getppid()
        self._thread: threading.Thread | None = None
        self._sinks: dict[SinkRecipe, Sink] = {}

    def put(self, asked: int, delivery: Delivery) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mailflow-sender")
            self._thread.start()
        self._work.put((asked, delivery))

    def close(self) -> None:
        """Stop after the mail in hand; the deliveries not begun are answered untried."""
        self._stopping.set()
        if self._thread is not None:
            self._work.put(None)
            self._thread.join()
        for sink in self._sinks.values():
            with contextlib.suppress(Exception):
                sink.close()

    def _run(self) -> None:
        while (item := self._work.get()) is not None:
            asked, delivery = item
            sent = self._deliver(delivery)
            with contextlib.suppress(OSError, ValueError):  # the daemon is gone
                self._answer(asked, sent)

    def _deliver(self, delivery: Delivery) -> list[Sent]:
        until = time.monotonic() + SEND_FOR_SECONDS
        try:
            return send_all(delivery, self._sink(delivery.sink), lambda: self._go_on(until))
        except Exception as exc:  # noqa: BLE001 - no journal or no sink: nothing was sent,
            # and the daemon's own delivery meets (and records) the same fault
            print(f"mailflow helper: could not deliver: {exc}", file=sys.stderr)
            return []

    def _go_on(self, until: float) -> bool:
        return (
            not self._stopping.is_set()
            and os.getppid() == self._parent
            and time.monotonic() < until
        )

    def _sink(self, recipe: SinkRecipe) -> Sink:
        """One sink per recipe for the helper's life: one SMTP connection, reused."""
        if recipe not in self._sinks:
            self._sinks[recipe] = sink_from_recipe(recipe)
        return self._sinks[recipe]


def journal_ids(path: str) -> Iterator[int]:
    """The ids a journal holds (a line cut short by a full disk is not an id)."""
    with open(path, "rb") as journal:
        for line in journal:
            if line.endswith(b"\n") and line.strip().isdigit():
                yield int(line)
