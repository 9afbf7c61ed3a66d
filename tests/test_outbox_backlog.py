"""A backlog in the outbox goes out in one delivery run, a batch at a time, and a run
ends even when what is due cannot be sent now."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mailflow.errors import TransientSendError
from mailflow.transport.maildir import deliver
from tests.helpers import Desk


def _backlog(desk: Desk, requests: int) -> int:
    for n in range(requests):
        msg = desk.mail("priya@ft.example", f"Export {n}", f"Customer: acme\n\nAdd column {n}.")
        deliver(desk.root, msg.as_bytes())
    desk.daemon.process_inbox()
    return sum(row.status == "pending" for row in desk.outbox())


def test_a_backlog_larger_than_a_batch_goes_out_in_one_run(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    try:
        pending = _backlog(desk, 3)
        assert pending > 4, "more than two batches of two wait"
        assert desk.daemon.deliver_outbox(limit=2) == pending
        assert {row.status for row in desk.outbox()} == {"sent"}
    finally:
        desk.close()


class Refusing:
    """An SMTP server that answers 451 to everything."""

    def __init__(self) -> None:
        self.tries = 0

    def send(self, envelope_from: str, recipients: Sequence[str], data: bytes) -> None:
        self.tries += 1
        raise TransientSendError("451 4.3.0 try again later")

    def close(self) -> None:
        pass


def test_a_run_ends_when_nothing_due_can_be_sent_now(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    try:
        pending = _backlog(desk, 3)
        desk.daemon.sink = refusing = Refusing()
        assert desk.daemon.deliver_outbox(limit=2) == 0
        assert refusing.tries == pending, "each row tried once, then left for its retry"
        assert all(row.attempts == 1 for row in desk.outbox())
    finally:
        desk.close()
