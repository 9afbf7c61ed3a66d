"""A reader that lost the mailbox commits nothing, however late it learns it lost it.

SQLite: a take-over adds one to the lease's fencing number, and the old reader's
transaction, checked last, no longer finds its own. PostgreSQL: the reader's transactions
run on the session holding the mailbox's advisory lock; once the server has ended that
session (the process died, or said nothing for `lease_seconds`) they cannot commit, and
another session takes the lock at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from mailflow.service import pipeline
from mailflow.service.daemon import Daemon
from mailflow.service.lease import MailboxLease
from mailflow.store import ledger
from mailflow.store.lease import Fenced, holder_of
from mailflow.store.message_tables import LedgerEntry
from mailflow.transport.maildir import deliver
from tests.helpers import Clock, Desk
from tests.pg import postgres_server, postgres_url  # noqa: F401

SOURCE = "maildir:test"


def _ledger(desk: Desk) -> list[LedgerEntry]:
    with desk.app.db.session() as session:
        return list(session.exec(select(LedgerEntry)).all())


def _inbox(desk: Desk) -> list[Path]:
    return list((desk.root / "inbox" / "new").iterdir())


def _taken_over_mid_handling(
    monkeypatch: pytest.MonkeyPatch, take_over: Callable[[], None]
) -> list[int]:
    """Make the next message's handling pause, as a stopped process would, while another
    daemon takes the mailbox; returns a list that counts the pauses."""
    real_walk = pipeline.walk
    pauses: list[int] = []

    def paused_walk(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not pauses:
            pauses.append(1)
            take_over()
        return real_walk(*args, **kwargs)

    monkeypatch.setattr(pipeline, "walk", paused_walk)
    return pauses


def _two_readers_one_message(
    desk: Desk, first: MailboxLease, second: MailboxLease, take_over: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The first reads; the second takes the mailbox while the first handles a message."""
    reader = Daemon(desk.app, desk.source, desk.sink, clock=desk.clock, lease=first)
    deliver(desk.root, desk.mail("priya@ft.example", "Export", "Customer: acme\n\nX").as_bytes())
    assert first.check() is True and second.check() is False
    pauses = _taken_over_mid_handling(monkeypatch, take_over)
    assert reader.process_inbox() == 0
    assert pauses == [1], "the handling was interrupted by the take-over"
    assert _ledger(desk) == [], "the old reader's handling committed nothing"
    assert len(_inbox(desk)) == 1, "the message waits for the new reader"
    assert not first.holds and not reader.reading, "the old reader stood down"
    assert second.holds
    monkeypatch.undo()
    other = Daemon(desk.app, desk.source, desk.sink, clock=desk.clock, lease=second)
    assert other.process_inbox() == 1
    assert reader.process_inbox() == 0
    assert len(_ledger(desk)) == 1 and _inbox(desk) == []


def test_sqlite_a_reader_taken_over_mid_message_commits_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mutation: without the fence check in Database.transaction the old reader's row
    commits, and the ledger holds its outcome instead of none."""
    desk = Desk(tmp_path)
    clock = Clock()
    first = MailboxLease(desk.app.db, SOURCE, 15, "first", now=clock)
    second = MailboxLease(desk.app.db, SOURCE, 15, "second", now=clock)

    def take_over() -> None:  # the first is paused past its lease
        clock.advance(seconds=16)
        assert second.check() is True

    try:
        _two_readers_one_message(desk, first, second, take_over, monkeypatch)
    finally:
        desk.close()


def test_sqlite_a_resumed_reader_meeting_the_new_readers_row_stands_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paused after it looked the message up and before it wrote its outcome, while the new
    reader handled that very message: the old one's write fails on the ledger's unique
    index before its fence check. That is no duplicate to count but the sign it lost.
    Mutation: without the fence check after a failed transaction, the old reader counts
    the message as handled (a duplicate)."""
    desk = Desk(tmp_path)
    clock = Clock()
    first = MailboxLease(desk.app.db, SOURCE, 15, "first", now=clock)
    second = MailboxLease(desk.app.db, SOURCE, 15, "second", now=clock)
    reader = Daemon(desk.app, desk.source, desk.sink, clock=desk.clock, lease=first)
    other = Daemon(desk.app, desk.source, desk.sink, clock=desk.clock, lease=second)
    away = desk.mail("priya@ft.example", "Out of office", "Back Monday.")
    away["Auto-Submitted"] = "auto-replied"  # only its ledger row is written
    deliver(desk.root, away.as_bytes())
    real_record = ledger.record

    def record_after_a_pause(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not second.holds:
            clock.advance(seconds=16)
            assert second.check() is True
            with monkeypatch.context() as inner:
                inner.setattr(ledger, "record", real_record)
                assert other.process_inbox() == 1
        return real_record(*args, **kwargs)

    try:
        assert first.check() is True
        monkeypatch.setattr(ledger, "record", record_after_a_pause)
        assert reader.process_inbox() == 0
        assert second.holds, "the pause came where it was meant to"
        assert reader.counts.handled == 0 and reader.counts.outcomes == {}
        assert not first.holds and len(_ledger(desk)) == 1 and _inbox(desk) == []
    finally:
        desk.close()


def test_sqlite_the_fencing_number_goes_up_at_each_take_over_only(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    clock = Clock()
    first = MailboxLease(desk.app.db, SOURCE, 15, "first", now=clock)
    second = MailboxLease(desk.app.db, SOURCE, 15, "second", now=clock)
    try:

        def number() -> int:
            with desk.app.db.session() as session:
                lease = holder_of(session, SOURCE)
                assert lease is not None
                return lease.fence

        first.check()
        taken = number()
        clock.advance(seconds=10)
        first.check()
        assert number() == taken, "renewing keeps the number"
        clock.advance(seconds=16)
        second.check()
        assert number() == taken + 1
        with (
            pytest.raises(Fenced),
            desk.app.db.fenced(first.fence()),
            desk.app.db.transaction() as session,
        ):
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        with desk.app.db.fenced(second.fence()), desk.app.db.transaction():
            pass  # the holder's own commits go through
    finally:
        desk.close()


def _backend(lease: MailboxLease) -> int:
    assert lease._lock is not None
    return lease._lock._backend


def _terminate(desk: Desk, backend: int) -> None:
    """End a session as the server does when its client is gone; wait until it has."""
    with desk.app.db.engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid, 60000)"), {"pid": backend})


def test_postgresql_a_reader_whose_session_ended_commits_nothing(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server ends the reader's session mid-message; the other takes the lock at once
    (no lease to run out). Mutation: handling on a pooled connection instead of the lock's
    session lets the old reader's row commit."""
    desk = Desk(tmp_path, postgres_url)
    first = MailboxLease(desk.app.db, SOURCE, 15, "first")
    second = MailboxLease(desk.app.db, SOURCE, 15, "second")

    def take_over() -> None:
        _terminate(desk, _backend(first))
        assert second.check() is True

    try:
        _two_readers_one_message(desk, first, second, take_over, monkeypatch)
    finally:
        first.release()
        second.release()
        desk.close()


def test_postgresql_a_silent_reader_loses_the_lock_by_the_servers_timer(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """A reader that says nothing to the server for `lease_seconds` (paused) has its
    session ended by the server; the lease row's date plays no part."""
    desk = Desk(tmp_path, postgres_url)
    first = MailboxLease(desk.app.db, SOURCE, 1, "first")
    second = MailboxLease(desk.app.db, SOURCE, 1, "second")
    try:
        assert first.check() is True
        assert second.check() is False
        deadline = time.monotonic() + 60
        while not second.check():
            assert time.monotonic() < deadline, "the server never ended the silent session"
            time.sleep(0.2)
        assert first.check() is False and not first.holds, "it learns it lost"
        with pytest.raises(Fenced), desk.app.db.fenced(first.fence()), desk.app.db.transaction():
            pass
        with desk.app.db.session() as session:
            lease = holder_of(session, SOURCE)
            assert lease is not None and lease.holder == "second"
    finally:
        first.release()
        second.release()
        desk.close()


def test_postgresql_a_clean_stop_frees_the_lock_at_once(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    desk = Desk(tmp_path, postgres_url)
    first = MailboxLease(desk.app.db, SOURCE, 3600, "first")
    second = MailboxLease(desk.app.db, SOURCE, 3600, "second")
    try:
        assert first.check() is True and second.check() is False
        assert second.holder == "first"
        first.release()
        assert second.check() is True
    finally:
        second.release()
        desk.close()
