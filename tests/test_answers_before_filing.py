"""When mail arrives, the answers it caused go out before the messages are filed at the
mailbox (one IMAP round trip for the batch) and before the heartbeat is written: the
person waits on neither. The order is free because a committed message that is not filed
yet is read again as a no-op. On a real Dovecot, with the daemon's IMAP source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailflow.service.daemon import Daemon
from mailflow.transport.imap import ImapSource
from tests.helpers import Desk
from tests.servers import ImapAccount


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    desk = Desk(tmp_path)
    yield desk
    desk.close()


def imap_daemon(desk: Desk, imap_account: ImapAccount) -> tuple[Daemon, ImapSource]:
    source = ImapSource(imap_account.settings())
    return Daemon(desk.app, source, desk.sink, clock=desk.clock), source


def test_the_answers_leave_while_the_reply_is_still_in_the_inbox(
    desk: Desk, imap_account: ImapAccount
) -> None:
    cr = desk.open_cr()
    daemon, source = imap_daemon(desk, imap_account)
    inbox_at_each_send: list[int] = []
    send = desk.sink.send

    def watched(envelope_from: str, recipients: list[str], data: bytes) -> None:
        inbox_at_each_send.append(len(imap_account.uids("INBOX")))
        send(envelope_from, recipients, data)

    desk.sink.send = watched  # type: ignore[method-assign]
    imap_account.append([desk.reply("integration@ft.example", cr, "IS CR").as_bytes()])
    try:
        assert daemon.inbox_then_outbox() == 1
    finally:
        source.close()
    assert inbox_at_each_send and set(inbox_at_each_send) == {1}, "sent before filing"
    assert imap_account.uids("INBOX") == [], "and filed once they were sent"
    assert len(imap_account.uids("Processed")) == 1
    assert desk.stage(cr) != "triage"


def test_a_failed_sending_still_files_what_was_committed(
    desk: Desk, imap_account: ImapAccount
) -> None:
    cr = desk.open_cr()
    daemon, source = imap_daemon(desk, imap_account)

    def broken(envelope_from: str, recipients: list[str], data: bytes) -> None:
        raise RuntimeError("the sending side broke")

    desk.sink.send = broken  # type: ignore[method-assign]
    imap_account.append([desk.reply("integration@ft.example", cr, "IS CR").as_bytes()])
    try:
        with pytest.raises(RuntimeError):
            daemon.inbox_then_outbox()
    finally:
        source.close()
    assert imap_account.uids("INBOX") == [], "the committed reply is filed all the same"
    assert desk.stage(cr) != "triage"
