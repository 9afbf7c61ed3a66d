"""One reader per mailbox: the lease between daemons, and what `status` says about each one.

The clock here is the lease's own (the real one in production); the test moves it to let
a lease run out instead of waiting for it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from mailflow.service.daemon import Daemon
from mailflow.service.health import judge
from mailflow.service.lease import NODE, MailboxLease, real_now
from mailflow.store.heartbeat import Role, all_beats, all_daemons
from mailflow.store.lease import SourceLease, holder_of, take
from mailflow.transport.maildir import deliver
from tests.helpers import Clock, Desk, make_app

SOURCE = "maildir:test"


def _pair(tmp_path: Path, clock: Clock) -> tuple[MailboxLease, MailboxLease]:
    app = make_app(tmp_path)
    return (
        MailboxLease(app.db, SOURCE, 15, "first", now=clock),
        MailboxLease(app.db, SOURCE, 15, "second", now=clock),
    )


def test_one_holds_the_other_stands_by_until_the_lease_runs_out(tmp_path: Path) -> None:
    clock = Clock()
    first, second = _pair(tmp_path, clock)
    assert first.check() is True and first.role is Role.READING
    assert second.check() is False and second.role is Role.STANDING_BY
    assert second.holder == "first"
    clock.advance(seconds=10)
    first.check()  # renewed: good for 15 s from now
    clock.advance(seconds=10)
    assert second.check() is False, "a renewed lease is not taken over"
    clock.advance(seconds=6)  # first has not renewed for 16 s: it died
    assert second.check() is True and second.holds
    assert first.check() is False and not first.holds, "the old holder learns it lost"
    with first.db.session() as session:
        lease = holder_of(session, SOURCE)
        assert lease is not None and lease.holder == "second"


def test_a_clean_stop_hands_over_at_once_and_leaves_no_alarm(tmp_path: Path) -> None:
    clock = Clock()
    first, second = _pair(tmp_path, clock)
    first.check()
    second.check()
    first.release()
    assert second.check() is True, "no waiting for the lease to run out after a clean stop"
    with second.db.session() as session:
        daemons = all_daemons(session)
    assert [d.daemon for d in daemons] == ["second"]
    assert daemons[0].role == Role.READING.value


def test_status_lists_each_daemon_and_turns_unhealthy_when_one_stops_beating(
    tmp_path: Path,
) -> None:
    clock = Clock()
    first, second = _pair(tmp_path, clock)
    first.check()
    second.check()
    first.note_error("IMAP login failed")
    with first.db.session() as session:
        verdict = judge(
            all_beats(session), clock() + timedelta(seconds=5), 60, all_daemons(session)
        )
    text = "\n".join(verdict.lines)
    assert "daemon first: healthy — reading" in text
    assert "daemon second: healthy — standing by" in text
    assert "IMAP login failed" in text
    clock.advance(seconds=50)
    second.check()  # second beats on; first is gone (SIGKILL: no clean stop)
    with first.db.session() as session:
        verdict = judge(
            all_beats(session), clock() + timedelta(seconds=20), 60, all_daemons(session)
        )
    assert not verdict.healthy
    assert any(line.startswith("daemon first: UNHEALTHY") for line in verdict.lines)
    assert any(line.startswith("daemon second: healthy — reading") for line in verdict.lines)


def test_a_daemon_standing_by_neither_reads_nor_sweeps_nor_sends_on_sqlite(
    tmp_path: Path,
) -> None:
    desk = Desk(tmp_path)
    try:
        holder = MailboxLease(desk.app.db, SOURCE, 15, "holder")
        holder.check()
        waiting = MailboxLease(desk.app.db, SOURCE, 15, "waiting")
        standby = Daemon(desk.app, desk.source, desk.sink, clock=desk.clock, lease=waiting)
        deliver(
            desk.root, desk.mail("priya@ft.example", "Export", "Customer: acme\n\nX").as_bytes()
        )
        standby.run(once=True)
        assert not standby.reading and standby.counts.handled == 0
        assert desk.ledger() == [] and list((desk.root / "inbox" / "new").iterdir())
        assert desk.daemon.process_inbox() == 1  # handled elsewhere; its mail is queued
        assert desk.outbox() and standby.deliver_outbox() == 0, "SQLite cannot lock rows"
        assert standby.send_reminders() == 0
        holder.release()
        standby.run(once=True)
        assert standby.counts.sent == len(desk.outbox()) == len(desk.sent_files())
    finally:
        desk.close()


def test_a_restart_after_a_crash_on_this_node_takes_over_at_once(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with app.db.transaction() as session:
        now = real_now()
        take(session, SOURCE, "crashed", now, now + timedelta(hours=1), node=NODE)
        session.get(SourceLease, SOURCE).pid = 2**22 + 1  # above pid_max: no such process
    restarted = MailboxLease(app.db, SOURCE, 3600, "restarted")
    assert restarted.check() is True, "a dead holder on this node is not waited for"
    with app.db.transaction() as session:
        lease = session.get(SourceLease, SOURCE)
        lease.node, lease.pid = "other-host/boot/1", 2**22 + 1  # that pid means nothing here
    other = MailboxLease(app.db, SOURCE, 3600, "other")
    assert other.check() is False, "a holder on another node keeps its lease until it runs out"
