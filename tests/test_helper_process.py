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
from datetime import UTC, datetime
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from mailflow.service import batches
from mailflow.service.helper_process import HelperProcess, HelperStopped, Pending
from mailflow.store import outbox
from mailflow.store.message_tables import LedgerEntry, OutboxRow
from mailflow.transport.maildir import deliver
from tests.helpers import Desk
from tests.service_process import Service, Store, new_request, service_config, wait_for

BACKLOG = batches.BATCH * 2 + 7  # three batches: the helper is started for the second


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.close()


def _backlog(desk: Desk, count: int = BACKLOG, tag: str = "backlog") -> None:
    for n in range(count):
        deliver(desk.root, new_request(n, tag))


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
    now = datetime.now(UTC).replace(microsecond=0)
    cr_id = f"CR-{now.year}-0001"
    build = {
        "template": "answer/refused",
        "context": {},
        "cr_id": cr_id,
        "to": ["dana@acme.example"],
        "cc": ["priya@ft.example"],
        "in_reply_to": "<r1@acme.example>",
        "references": ["<r0@acme.example>", "<r1@acme.example>"],
        "now": now,
        "message_id": f"<{cr_id.lower()}.x1@ft.example>",
        "reply_address": "approvals+t1@ft.example",
        "rendered": ("Your reply", "Dear Dana,\n\n  Stage: Costing\n", "<p>Dear Dana,</p>"),
        "attachments": [("notes.txt", "text/plain", b"one\ntwo\n")],
    }
    helper = HelperProcess(args)
    try:
        there = helper.compose(build).result()
        raw = new_request(1, "same")
        (read_there,) = helper.parse([raw]).result()
        (not_mail,) = helper.parse([b"   "]).result()
    finally:
        helper.close()
    here = Composer(*args).build(**build).as_bytes()  # type: ignore[arg-type]

    def unbounded(data: bytes) -> bytes:
        """Each boundary named by its place in the MIME tree, not its random letters."""
        parts = email.message_from_bytes(data).walk()
        boundaries = [b for b in (part.get_boundary() for part in parts) if b]
        for n, boundary in enumerate(boundaries):
            data = data.replace(boundary.encode(), b"BOUNDARY-%d" % n)
        return data

    assert unbounded(there) == unbounded(here)
    assert read_there == parse(raw)
    assert not_mail is None, "not a mail: handled alone by the daemon, and quarantined"


def _done(value: bytes) -> Pending[bytes]:
    pending: Pending[bytes] = Pending(None)
    pending.settle(value)
    return pending


def _failed() -> Pending[bytes]:
    pending: Pending[bytes] = Pending(None)
    pending.settle(error=HelperStopped("the helper process stopped"))
    return pending


def _draft(session: Any, message_id: str, ahead: Pending[bytes], here: bytes) -> OutboxRow:
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

    cr_id = f"CR-{datetime.now(UTC).year}-0001"
    data = f"Subject: [{cr_id}] Costing\r\nMessage-ID: <q@ft.example>\r\n\r\nHi\r\n".encode()
    with desk.app.db.transaction() as session:
        row = _draft(session, "<q@ft.example>", _done(data), b"")
        session.flush()
        assert subject_of(session, row) == f"[{cr_id}] Costing"


def test_when_the_helper_dies_the_daemon_parses_and_composes_itself(desk: Desk) -> None:
    """Mutation: without the fallback, the rows of the dead helper's mails stay empty."""
    helper = desk.daemon.helper()
    assert helper is not None
    helper.parse([new_request(0, "warm")]).result()  # its process is up
    os.kill(helper.pid, signal.SIGKILL)
    _backlog(desk)
    assert desk.daemon.process_inbox() == BACKLOG
    rows = _outbox(desk)
    assert len(rows) >= BACKLOG and all(_whole(row) for row in rows)


def test_a_helper_that_cannot_start_costs_nothing_but_time(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sandbox may forbid the shared memory a process pool needs: the backlog is handled
    all the same, in one process, and the start is not tried again on every pass.
    Mutation: letting the error out of Daemon.helper fails here."""
    tries: list[int] = []

    def refused(*_: Any) -> HelperProcess:
        tries.append(1)
        raise PermissionError("[Errno 13] Permission denied: '/dev/shm/sem.mp-1'")

    monkeypatch.setattr("mailflow.service.daemon.HelperProcess", refused)
    _backlog(desk)
    assert desk.daemon.process_inbox() == BACKLOG
    _backlog(desk, tag="later")
    assert desk.daemon.process_inbox() == BACKLOG
    assert tries == [1]
    rows = _outbox(desk)
    assert len(rows) >= 2 * BACKLOG and all(_whole(row) for row in rows)


def test_a_helper_that_hangs_is_given_up_and_the_daemon_goes_on(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper that stops answering (here: stopped with SIGSTOP) is waited for a bounded
    time, then killed; the mail is composed by the daemon. Mutation: waiting without a
    bound hangs here (the test's own timeout would end it)."""
    monkeypatch.setattr("mailflow.service.helper_process._STUCK_SECONDS", 0.5)
    helper = desk.daemon.helper()
    assert helper is not None
    helper.parse([new_request(0, "warm")]).result()
    os.kill(helper.pid, signal.SIGSTOP)
    try:
        _backlog(desk)
        assert desk.daemon.process_inbox() == BACKLOG
    finally:
        os.kill(helper.pid, signal.SIGCONT)
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
    """SIGKILL gives the daemon no chance to stop its helper: the helper leaves on its own,
    whether it was answering at that moment or waiting for work (killed here once the
    backlog is done, so that it is waiting). Mutation: a helper that goes on waiting when
    its stdin closes outlives the daemon."""
    config = service_config(tmp_path, daemon="poll_seconds = 1")
    inbox = tmp_path / "data" / "mail"
    requests = batches.BATCH * 3
    for n in range(requests):
        deliver(inbox, new_request(n, "orphan"))
    store = Store(f"sqlite:///{tmp_path / 'data' / 'mailflow.db'}")
    service = Service(config, tmp_path / "service.log").start()
    try:
        helpers: set[int] = set()

        def helper_started() -> bool:
            helpers.update(
                child
                for child in _children(service.pid)
                if b"helper_process" in Path(f"/proc/{child}/cmdline").read_bytes()
            )
            return bool(helpers)

        wait_for("the service started its helper", helper_started, 120, service)
        wait_for("the backlog was handled", lambda: store.ledger_count() >= requests, 120, service)
        assert all(_running(pid) for pid in helpers), "it waits for work beside its daemon"
        service.kill()
        deadline = time.monotonic() + 30
        while any(_running(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_running(pid) for pid in helpers), "the helper outlived its daemon"
    finally:
        service.kill()
        store.close()
