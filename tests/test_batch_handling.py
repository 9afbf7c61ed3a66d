"""Many messages to one transaction: each under its own savepoint, filed after the commit.

The batch must keep every promise one message to a transaction kept: a message that
raises is undone alone and handled on its own afterwards; a reader that lost the mailbox
commits none of the batch; nothing is filed before the commit that holds it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from mailflow.service import pipeline
from mailflow.service.daemon import Daemon
from mailflow.service.lease import MailboxLease
from mailflow.store.message_tables import LedgerEntry, OutboxRow
from mailflow.store.tables import ChangeRequest
from mailflow.transport.maildir import deliver
from tests.helpers import Clock, Desk

REQUESTS = 6


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.close()


def _requests(desk: Desk, subjects: list[str]) -> None:
    for subject in subjects:
        mail = desk.mail("priya@ft.example", subject, "Customer: acme\n\nPlease add a column.")
        deliver(desk.root, mail.as_bytes())


def _ledger(desk: Desk) -> list[LedgerEntry]:
    with desk.app.db.session() as session:
        return list(session.exec(select(LedgerEntry)).all())


def _titles(desk: Desk) -> list[str]:
    with desk.app.db.session() as session:
        return sorted(cr.title for cr in session.exec(select(ChangeRequest)).all())


def _inbox(desk: Desk) -> list[Path]:
    return list((desk.root / "inbox" / "new").iterdir())


def _alone(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Count the messages handled in a transaction of their own."""
    alone: list[bytes] = []
    real = pipeline.handle

    def spy(app: Any, raw: Any, now: Any) -> pipeline.Handled:
        alone.append(raw.data)
        return real(app, raw, now)

    monkeypatch.setattr(pipeline, "handle", spy)
    return alone


def test_a_batch_handles_every_message_in_one_transaction_and_files_them_after(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mutation: with every message sent the single way the spy counts them all."""
    _requests(desk, [f"Column {n}" for n in range(REQUESTS)])
    alone = _alone(monkeypatch)
    assert desk.daemon.process_inbox() == REQUESTS
    assert alone == [], "all went through the batch"
    assert len(_ledger(desk)) == REQUESTS and _inbox(desk) == []
    assert _titles(desk) == sorted(f"Column {n}" for n in range(REQUESTS))


def test_a_message_that_raises_is_undone_alone_and_the_others_commit(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bad message raises after its rules have written a CR and its mails.

    Mutation: without the savepoint (no `begin_nested`) its half-made CR commits with the
    batch, and the test finds a CR titled "Column bad".
    """
    _requests(desk, ["Column 0", "Column bad", "Column 2"])
    real_walk = pipeline.walk

    def walk_then_fail(ctx: Any, rules: Any) -> pipeline.Handled:
        handled = real_walk(ctx, rules)
        ctx.session.flush()
        if ctx.msg.subject == "Column bad":
            raise ValueError("a rule's bug")
        return handled

    monkeypatch.setattr(pipeline, "walk", walk_then_fail)
    alone = _alone(monkeypatch)
    assert desk.daemon.process_inbox() == 2
    assert len(alone) == 1 and b"Column bad" in alone[0], "only the bad one went alone"
    assert _titles(desk) == ["Column 0", "Column 2"]
    assert sorted(e.subject for e in _ledger(desk)) == ["Column 0", "Column 2"]
    left = _inbox(desk)
    assert len(left) == 1 and b"Column bad" in left[0].read_bytes(), "it waits for a retry"
    with desk.app.db.session() as session:
        crs = {r.cr_id for r in session.exec(select(OutboxRow)).all()}
    assert len(crs) == 2, "no mail of the undone message was queued"


def test_a_reader_taken_over_as_its_batch_begins_commits_none_of_it(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mailbox is taken over as the batch's first message is handled (on SQLite a
    take-over after the batch's first write waits for its commit: the write lock).

    Mutation: without the BEGIN, SQLite's first savepoint opens a transaction of its own
    and its RELEASE commits the first message, fence unchecked: the ledger holds it.
    """
    clock = Clock()
    first = MailboxLease(desk.app.db, "maildir:test", 15, "first", now=clock)
    second = MailboxLease(desk.app.db, "maildir:test", 15, "second", now=clock)
    reader = Daemon(desk.app, desk.source, desk.sink, clock=desk.clock, lease=first)
    _requests(desk, [f"Column {n}" for n in range(3)])
    assert first.check() is True
    real_walk = pipeline.walk
    seen: list[str] = []

    def taken_over_at_the_first(ctx: Any, rules: Any) -> pipeline.Handled:
        seen.append(ctx.msg.subject)
        if len(seen) == 1:
            clock.advance(seconds=16)
            assert second.check() is True
        return real_walk(ctx, rules)

    monkeypatch.setattr(pipeline, "walk", taken_over_at_the_first)
    assert reader.process_inbox() == 0
    assert len(seen) >= 3, "the whole batch was handled before the commit was refused"
    assert _ledger(desk) == [] and _titles(desk) == [], "nothing of the batch committed"
    assert len(_inbox(desk)) == 3, "every message waits for the new reader"
    assert not reader.reading
    monkeypatch.undo()
    other = Daemon(desk.app, desk.source, desk.sink, clock=desk.clock, lease=second)
    assert other.process_inbox() == 3
    assert len(_ledger(desk)) == 3 and _inbox(desk) == []


def test_nothing_of_a_batch_is_committed_before_its_end(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Looked at from another connection while the third message is handled.

    Mutation: without the BEGIN each savepoint's RELEASE commits its message at once.
    """
    _requests(desk, [f"Column {n}" for n in range(3)])
    database = desk.app.db.engine.url.database
    assert database
    real_walk = pipeline.walk
    committed: list[int] = []

    def look_from_outside(ctx: Any, rules: Any) -> pipeline.Handled:
        with sqlite3.connect(database) as outside:
            committed.append(outside.execute("SELECT count(*) FROM message_ledger").fetchone()[0])
        return real_walk(ctx, rules)

    monkeypatch.setattr(pipeline, "walk", look_from_outside)
    assert desk.daemon.process_inbox() == 3
    assert committed == [0, 0, 0]
    assert len(_ledger(desk)) == 3
