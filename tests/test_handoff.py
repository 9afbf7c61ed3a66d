"""The hand-off: a backlog's answers go out from the helper process between batches, and
each mail is sent once, whatever happens to the daemon meanwhile.

What the sink accepted is in the hand-off's journal before anything else, and is marked
sent before anything is delivered again; a killed daemon's helper stops after the mail in
hand; the rate limits see every mail a hand-off sent before they choose the next ones.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from mailflow.errors import PermanentSendError, TransientSendError
from mailflow.service import batches, handoff
from mailflow.service.handoff_sender import Delivery, Outgoing, Refusal, Sent, send_all
from mailflow.service.helper_process import HelperProcess
from mailflow.store.cr_tables import AuditEvent
from mailflow.store.message_tables import OutboxRow
from mailflow.transport.maildir import deliver
from tests.helpers import Desk
from tests.servers import RecordingHandler, SmtpServer
from tests.service_process import Service, Store, new_request, service_config, wait_for

BACKLOG = batches.BATCH * 2 + 7  # three batches: two pauses between them


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.close()


class _Counted(HelperProcess):
    """The real helper, counting the mails it was asked to deliver."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.handed: list[int] = []

    def deliver(self, delivery: Delivery) -> Any:
        self.handed += [mail.id for mail in delivery.mails]
        return super().deliver(delivery)


def _backlog(desk: Desk, count: int = BACKLOG, tag: str = "handoff") -> None:
    for n in range(count):
        deliver(desk.root, new_request(n, tag))


def _rows(desk: Desk) -> list[OutboxRow]:
    with desk.app.db.session() as session:
        return list(session.exec(select(OutboxRow).order_by(OutboxRow.id)).all())


def _message_ids(blobs: Sequence[bytes]) -> Counter[str]:
    return Counter(str(email.message_from_bytes(b, policy=default)["Message-ID"]) for b in blobs)


def _each_sent_once(desk: Desk, rows: list[OutboxRow]) -> None:
    """Every row marked sent, and its mail in the sink exactly once."""
    assert rows and all(row.status == "sent" for row in rows)
    sent = [p.read_bytes() for p in desk.sent_files()]
    assert _message_ids(sent) == Counter({row.message_id: 1 for row in rows}), "each once"


def _unlimited(settings: Any) -> Any:
    limits = dataclasses.replace(settings.limits, per_address_per_hour=0, total_per_hour=0)
    return dataclasses.replace(settings, limits=limits)


def test_a_backlog_s_mail_goes_out_from_the_helper_between_batches_each_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mutations: not handing off between batches (the pass ends with nothing sent), or
    recording a hand-off without its journal (rows sent twice), each fail here."""
    monkeypatch.setattr("mailflow.service.daemon.HelperProcess", _Counted)
    desk = Desk(tmp_path, adjust=_unlimited)
    try:
        _backlog(desk)
        assert desk.daemon.process_inbox() == BACKLOG
        helper = desk.daemon._helper
        assert isinstance(helper, _Counted)
        during = {row.id for row in _rows(desk) if row.status == "sent"}
        assert during, "mail of the first batches was sent while the last was handled"
        assert set(helper.handed) >= during
        desk.daemon.deliver_outbox()
        rows = _rows(desk)
        _each_sent_once(desk, rows)
    finally:
        desk.close()
    assert not list(handoff.journal_folder(desk.app).glob("*.sent")), "journals removed"
    assert desk.daemon.counts.sent == len(rows)


def test_mail_a_killed_daemon_s_helper_sent_is_marked_sent_and_not_sent_again(
    desk: Desk,
) -> None:
    """A journal left behind names mail that went out but was never marked sent.
    Mutation: delivering without reading left-over journals sends those two again."""
    for n in range(4):
        deliver(desk.root, new_request(n, "left"))
    desk.daemon.process_inbox()
    rows = _rows(desk)
    assert len(rows) >= 4 and all(row.status == "pending" for row in rows)
    folder = handoff.journal_folder(desk.app)
    folder.mkdir(parents=True, exist_ok=True)
    gone = rows[:2]
    (folder / "4242-dead-1.sent").write_text("".join(f"{row.id}\n" for row in gone) + "99")
    desk.daemon.deliver_outbox()
    sent = [p.read_bytes() for p in desk.sent_files()]
    arrived = _message_ids(sent)
    assert not {row.message_id for row in gone} & set(arrived), "not sent again"
    assert arrived == Counter({row.message_id: 1 for row in rows[2:]})
    assert all(row.status == "sent" for row in _rows(desk))
    assert not list(folder.glob("*.sent"))


def test_the_rate_limits_count_every_mail_a_hand_off_sent(tmp_path: Path) -> None:
    """One hand-off at a time, chosen after the last one is recorded. Mutation: choosing
    the mail to hand over without the rate limits sends past the hour's total."""
    limit = 30

    def limited(settings: Any) -> Any:
        return dataclasses.replace(
            settings, limits=dataclasses.replace(settings.limits, total_per_hour=limit)
        )

    desk = Desk(tmp_path, adjust=limited)
    try:
        _backlog(desk)
        desk.daemon.process_inbox()
        desk.daemon.deliver_outbox()
        rows = _rows(desk)
    finally:
        desk.close()
    assert len(rows) > limit, "the backlog causes more mail than the hour allows"
    assert sum(row.status == "sent" for row in rows) == limit
    assert len(desk.sent_files()) == limit


class _Sink:
    """A sink that answers each recipient as told: accepted, or a refusal."""

    def __init__(self, refusals: dict[str, Exception]) -> None:
        self.refusals, self.got = refusals, []

    def send(self, envelope_from: str, recipients: Sequence[str], data: bytes) -> None:
        refusal = self.refusals.get(recipients[0])
        if refusal is not None:
            raise refusal
        self.got.append(recipients[0])

    def close(self) -> None:
        pass


def _delivery(journal: Path, *to: str) -> Delivery:
    mails = [Outgoing(n + 1, "approvals@ft.example", [a], b"x") for n, a in enumerate(to)]
    return Delivery(str(journal), ("maildir", ("", "sent")), mails)


def test_a_permanent_refusal_goes_on_and_a_temporary_one_stops_the_hand_off(
    tmp_path: Path,
) -> None:
    """Only accepted mail is in the journal. Mutations: journaling a refused mail, or going
    on after a temporary refusal, fail here."""
    sink = _Sink(
        {"gone@x.example": PermanentSendError("550 no such user"),
         "busy@x.example": TransientSendError("451 try later")}
    )  # fmt: skip
    journal = tmp_path / "j.sent"
    delivery = _delivery(
        journal, "a@x.example", "gone@x.example", "b@x.example", "busy@x.example", "c@x.example"
    )
    sent = send_all(delivery, sink, lambda: True)
    assert sent == [
        Sent(1, None),
        Sent(2, Refusal.PERMANENT, "550 no such user"),
        Sent(3, None),
        Sent(4, Refusal.TEMPORARY, "451 try later"),
    ]
    assert sink.got == ["a@x.example", "b@x.example"], "nothing after the temporary refusal"
    assert journal.read_text() == "1\n3\n"


def test_a_stopped_hand_off_sends_nothing_more(tmp_path: Path) -> None:
    """The daemon gone (or the pipe closed, or time up): the mail in hand was the last.
    Mutation: not asking before each mail sends the rest."""
    sink = _Sink({})
    asked = iter([True, False])
    journal = tmp_path / "j.sent"
    sent = send_all(_delivery(journal, "a@x.example", "b@x.example"), sink, lambda: next(asked))
    assert sent == [Sent(1, None)] and sink.got == ["a@x.example"]
    assert journal.read_text() == "1\n"


def test_a_refusal_a_hand_off_met_is_on_the_cr_timeline(desk: Desk) -> None:
    """Mutation: recording refusals without the timeline note fails here."""
    deliver(desk.root, new_request(0, "refused"))
    desk.daemon.process_inbox()  # handled, its mail not yet sent
    row = next(r for r in _rows(desk) if r.cr_id is not None)
    cr_id = row.cr_id
    refused = [Sent(row.id, Refusal.PERMANENT, "550 5.1.1 no such user")]
    marked = handoff.fold(
        desk.app, desk.app.settings.data_dir / "none.sent", datetime.now(UTC), refused
    )
    assert marked == 0
    with desk.app.db.session() as session:
        failed = session.get(OutboxRow, row.id)
        notes = session.exec(
            select(AuditEvent).where(
                AuditEvent.cr_id == cr_id, AuditEvent.kind == "delivery_failed"
            )
        ).all()
    assert failed is not None and failed.status == "failed"
    assert [n.detail for n in notes] == [f"{row.template}: 550 5.1.1 no such user"]


class _Slow(RecordingHandler):
    """An SMTP server that takes its time over each mail, as a distant one does."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


def test_a_daemon_killed_during_a_hand_off_sends_each_mail_once(tmp_path: Path) -> None:
    """SIGKILL while the helper is sending a batch's mail over a slow SMTP server: the
    helper stops after the mail in hand, the next daemon marks what its journal holds, and
    every mail arrives exactly once. Mutation: a next daemon that does not read the
    journals sends the mail the killed one's helper had sent again."""
    server = SmtpServer()
    server.handler = _Slow()
    server.start()
    store = Store(f"sqlite:///{tmp_path / 'data' / 'mailflow.db'}")
    try:
        config = service_config(tmp_path, smtp=server, daemon="poll_seconds = 1")
        for n in range(BACKLOG):
            deliver(tmp_path / "data" / "mail", new_request(n, "killed"))
        first = Service(config, tmp_path / "first.log").start()
        inbox = tmp_path / "data" / "mail" / "inbox"

        def sending_mid_backlog() -> bool:
            return len(server.received) >= 3 and store.ledger_count() < BACKLOG

        wait_for("the helper sending while the backlog is handled", sending_mid_backlog, 120, first)
        first.kill()
        journals = list((tmp_path / "data" / "sending").glob("*.sent"))
        assert journals, "the kill came during a hand-off"
        last = Service(config, tmp_path / "last.log").start()
        wait_for(
            "everything handled and delivered",
            lambda: (
                store.ledger_count() >= BACKLOG
                and not list(inbox.glob("*/*"))
                and all(r.status == "sent" for r in store.outbox())
            ),
            180,
            last,
        )
        assert last.stop() == 0, last.tail()
        rows = store.outbox()
    finally:
        store.close()
        server.stop()
    arrived = _message_ids([mail.data for mail in server.received])
    assert arrived == Counter({row.message_id: 1 for row in rows}), (
        f"duplicates: {[m for m, n in arrived.items() if n > 1]}"
    )


def test_a_hand_off_that_fails_stops_no_handling_and_loses_no_mail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store refusing the hand-off's read (locked, say) is not the messages' fault:
    the backlog is handled on, and its mail goes out after it. Mutation: letting the
    fault out of the hand-off ends the pass after the first batch."""

    def refused(*_: Any) -> Any:
        raise RuntimeError("database is locked")

    monkeypatch.setattr("mailflow.store.outbox.pending_mails", refused)
    desk = Desk(tmp_path, adjust=_unlimited)
    try:
        _backlog(desk)
        assert desk.daemon.process_inbox() == BACKLOG
        desk.daemon.deliver_outbox()
        _each_sent_once(desk, _rows(desk))
    finally:
        desk.close()
