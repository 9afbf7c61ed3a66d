"""The helper process of a backlog: it parses the next batch and composes the mails, and
what it hands back is exactly what the daemon would have made itself.

A committed outbox row always holds its whole mail: a mail composed elsewhere is put in
before the commit, a message rolled back to its savepoint leaves nothing, and a helper
that fails or is killed costs nothing but time (the daemon does the step). A daemon killed
outright takes its helper with it.
"""

from __future__ import annotations

import email
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from mailflow.service import batches
from mailflow.service.helper_process import HelperProcess
from mailflow.store import outbox
from mailflow.store.message_tables import LedgerEntry, OutboxRow
from mailflow.transport.maildir import deliver
from tests.helpers import Desk
from tests.service_process import Service, new_request, service_config, wait_for

BACKLOG = batches.BATCH * 2 + 7  # three batches: the helper is started for the second


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.close()


def _backlog(desk: Desk, count: int = BACKLOG) -> None:
    for n in range(count):
        deliver(desk.root, new_request(n, "backlog"))


def _outbox(desk: Desk) -> list[OutboxRow]:
    with desk.app.db.session() as session:
        return list(session.exec(select(OutboxRow).order_by(OutboxRow.id)).all())


def _whole(row: OutboxRow) -> bool:
    """The row's bytes are its own finished mail: its Message-ID, a subject, a text part."""
    mail = email.message_from_bytes(row.data, policy=default)
    body = mail.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""  # type: ignore[attr-defined]
    return str(mail["Message-ID"]) == row.message_id and bool(mail["Subject"]) and bool(text)


class _Counted(HelperProcess):
    """The real helper, counting what it was asked to do."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.parsed = self.composed = 0

    def parse(self, raws: Any) -> Any:
        self.parsed += len(raws)
        return super().parse(raws)

    def compose(self, build: Any) -> Any:
        self.composed += 1
        return super().compose(build)


def test_a_backlog_is_parsed_and_composed_in_the_helper_and_every_row_holds_its_mail(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mutations: never starting the helper, or committing a row before its bytes are in
    (settle not called), each fail here."""
    monkeypatch.setattr("mailflow.service.daemon.HelperProcess", _Counted)
    _backlog(desk)
    assert desk.daemon.process_inbox() == BACKLOG
    helper = desk.daemon._helper
    assert isinstance(helper, _Counted)
    assert helper.parsed == BACKLOG - batches.BATCH, "every batch after the first"
    rows = _outbox(desk)
    assert len(rows) >= BACKLOG and helper.composed > 0
    assert all(_whole(row) for row in rows), "no committed row without its mail"
    with desk.app.db.session() as session:
        assert len(session.exec(select(LedgerEntry)).all()) == BACKLOG


def test_the_helper_makes_the_same_mail_and_reads_the_same_message_as_the_daemon() -> None:
    """Byte for byte, but for the MIME boundary each build draws at random."""
    from mailflow.mail.compose import Composer
    from mailflow.mail.parse import parse

    args = ("approvals@ft.example", "FT approvals", "ft.example")
    build = {
        "template": "answer/refused",
        "context": {},
        "cr_id": "CR-2000-0001",
        "to": ["dana@acme.example"],
        "cc": ["priya@ft.example"],
        "in_reply_to": "<r1@acme.example>",
        "references": ["<r0@acme.example>", "<r1@acme.example>"],
        "now": datetime(2000, 1, 3, 9, 30, tzinfo=UTC),
        "message_id": "<cr-2000-0001.x1@ft.example>",
        "reply_address": "approvals+t1@ft.example",
        "rendered": ("Your reply", "Dear Dana,\n\n  Stage: Costing\n", "<p>Dear Dana,</p>"),
        "attachments": [("notes.txt", "text/plain", b"one\ntwo\n")],
    }
    helper = HelperProcess(args)
    try:
        there = helper.compose(build).result(timeout=60)
        raw = new_request(1, "same")
        (read_there,) = helper.parse([raw]).result(timeout=60)
        (not_mail,) = helper.parse([b"   "]).result(timeout=60)
    finally:
        helper.close()
    here = Composer(*args).build(**build).as_bytes()  # type: ignore[arg-type]

    def unbounded(data: bytes) -> bytes:
        boundaries = {p.get_boundary() for p in email.message_from_bytes(data).walk()}
        for n, boundary in enumerate(sorted(b for b in boundaries if b)):
            data = data.replace(boundary.encode(), b"BOUNDARY-%d" % n)
        return data

    assert unbounded(there) == unbounded(here)
    assert read_there == parse(raw)
    assert not_mail is None, "not a mail: handled alone by the daemon, and quarantined"


def _done(value: bytes) -> Future[bytes]:
    future: Future[bytes] = Future()
    future.set_result(value)
    return future


def _failed() -> Future[bytes]:
    future: Future[bytes] = Future()
    future.set_exception(RuntimeError("the helper process stopped"))
    return future


def _draft(session: Any, message_id: str, ahead: Future[bytes], here: bytes) -> OutboxRow:
    return outbox.enqueue_draft(
        session, message_id=message_id, envelope_from="approvals@ft.example",
        recipients=["dana@acme.example"], ahead=ahead, compose=lambda: here,
        cr_id=None, template="answer/refused", now=datetime.now(UTC),
    )  # fmt: skip


def test_a_draft_gets_its_bytes_before_the_commit_and_a_rolled_back_one_leaves_nothing(
    desk: Desk,
) -> None:
    """A row flushed before the commit is updated, one still pending is inserted whole, one
    whose savepoint was rolled back is skipped, and a failed composition is done here.
    Mutations: skipping the update of flushed rows, or ignoring a failed Future, fail here."""
    with desk.app.db.transaction() as session:
        with session.begin_nested():
            _draft(session, "<flushed@ft.example>", _done(b"from the helper"), b"here")
        with pytest.raises(ZeroDivisionError), session.begin_nested():
            _draft(session, "<undone@ft.example>", _done(b"never stored"), b"never")
            session.flush()
            raise ZeroDivisionError
        _draft(session, "<pending@ft.example>", _done(b"pending, whole"), b"here")
        _draft(session, "<failed@ft.example>", _failed(), b"composed by the daemon")
    stored = {row.message_id: row.data for row in _outbox(desk)}
    assert stored == {
        "<flushed@ft.example>": b"from the helper",
        "<pending@ft.example>": b"pending, whole",
        "<failed@ft.example>": b"composed by the daemon",
    }


def test_a_mail_queued_in_this_transaction_is_read_whole(desk: Desk) -> None:
    """A rule that reads our own mail (its subject) in the transaction that queued it sees
    its bytes, not the empty placeholder. Mutation: reading without settling fails here."""
    from mailflow.chain.earlier import subject_of

    data = b"Subject: [CR-2000-0001] Costing\r\nMessage-ID: <q@ft.example>\r\n\r\nHello\r\n"
    with desk.app.db.transaction() as session:
        row = _draft(session, "<q@ft.example>", _done(data), b"")
        session.flush()
        assert subject_of(session, row) == "[CR-2000-0001] Costing"


def test_when_the_helper_dies_the_daemon_parses_and_composes_itself(desk: Desk) -> None:
    """Mutation: without the fallback, the rows of the dead helper's mails stay empty."""
    helper = desk.daemon.helper()
    helper.parse([new_request(0, "warm")]).result(timeout=60)  # its process is up
    for pid in list(helper._pool._processes):  # type: ignore[union-attr]
        os.kill(pid, signal.SIGKILL)
    _backlog(desk)
    assert desk.daemon.process_inbox() == BACKLOG
    rows = _outbox(desk)
    assert len(rows) >= BACKLOG and all(_whole(row) for row in rows)


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_killed_daemon_takes_its_helper_with_it(tmp_path: Path) -> None:
    """SIGKILL gives the daemon no chance to stop its helper: the helper leaves on its own.
    Mutation: without the helper's watch on its parent, it waits forever."""
    config = service_config(tmp_path, daemon="poll_seconds = 1")
    inbox = tmp_path / "data" / "mail"
    for n in range(batches.BATCH * 20):
        deliver(inbox, new_request(n, "orphan"))
    service = Service(config, tmp_path / "service.log").start()
    try:
        helpers: set[int] = set()

        def helper_started() -> bool:
            helpers.update(
                child
                for child in _children(service.pid)
                if b"multiprocessing" in Path(f"/proc/{child}/cmdline").read_bytes()
            )
            return bool(helpers)

        wait_for("the service started its helper", helper_started, 120, service)
        service.kill()
        deadline = time.monotonic() + 30
        while any(_running(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_running(pid) for pid in helpers), "the helper outlived its daemon"
    finally:
        service.kill()
