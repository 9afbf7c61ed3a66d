"""A reader paused past its lease, then resumed, handles nothing: on SQLite and PostgreSQL.

Two real `mailflow run` daemons share one database and one Dovecot mailbox. The reader
is stopped (SIGSTOP) in the middle of a burst, as a frozen VM or a long pause would stop
it, and stays stopped well past `lease_seconds`; the other takes over and handles the
rest. Then the paused one is resumed (SIGCONT) with whatever it was doing half done: on
PostgreSQL the server has ended its session, and with it the lock; on SQLite the lease's
fencing number has moved on. It must commit nothing more, stand down, and leave new mail
to the new reader: every message has exactly one outcome.

SQLite cannot take a file lock away from a live process: a reader stopped inside a write
transaction keeps every other daemon from writing until it runs again (it then finishes
that one transaction, which nobody could have overtaken). So on SQLite the pause is
taken again until it falls outside a write; that is the case the fence is for.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from mailflow.store.heartbeat import DaemonBeat
from mailflow.store.lease import SourceLease
from tests.pg import postgres_server, postgres_url  # noqa: F401
from tests.servers import ImapAccount, SmtpServer, dovecot, imap_account, smtp_server  # noqa: F401
from tests.service_process import Service, Store, new_request, service_config, wait_for

BURST = 40
# Mail that arrives while the reader is paused: the daemon commits a batch of messages at
# once, so the burst may be all handled before the pause; these only another reader can take.
PAUSED = 10
LATE = 5
LEASE_SECONDS = 3
# A line the daemon logs for each message it handled: "<key>: <outcome> (<reason>)".
HANDLED = re.compile(r": (applied|answered|ignored|quarantined) \(")


def _lease(store: Store) -> SourceLease | None:
    with Session(store.engine) as session:
        return session.exec(select(SourceLease)).first()


def _role(store: Store, daemon: str) -> str:
    with Session(store.engine) as session:
        row = session.get(DaemonBeat, daemon)
        return row.role if row is not None else ""


def _writes_free(url: str) -> bool:
    """SQLite: whether no process holds the write lock (a stopped one may)."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.5, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def _pause(service: Service, url: str) -> int:
    """SIGSTOP; on SQLite again until it is stopped outside a write. Returns the tries."""
    assert service.process is not None
    for tries in range(1, 50):
        service.freeze()
        time.sleep(0.05)
        if not url.startswith("sqlite") or _writes_free(url):
            return tries
        service.process.send_signal(signal.SIGCONT)
        time.sleep(0.01 * tries)
    raise AssertionError("the reader was always inside a write when stopped")


def _handled_lines(service: Service, after: int = 0) -> list[str]:
    text = service.log.read_text(errors="replace")[after:]
    return [line for line in text.splitlines() if HANDLED.search(line)]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_reader_paused_past_its_lease_handles_nothing_when_resumed(
    tmp_path: Path,
    imap_account: ImapAccount,  # noqa: F811
    smtp_server: SmtpServer,  # noqa: F811
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    url = (
        request.getfixturevalue("postgres_url")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path / 'shared.db'}"
    )
    config = service_config(
        tmp_path,
        database_url=url,
        imap=imap_account,
        smtp=smtp_server,
        daemon=f"poll_seconds = 1\nlease_seconds = {LEASE_SECONDS}",
    )
    store = Store(url)
    first = Service(config, tmp_path / "first.log").start()
    second = Service(config, tmp_path / "second.log")
    try:
        wait_for("the first daemon reads", lambda: _lease(store) is not None, 60, first)
        second.start()
        wait_for("the second stands by", lambda: "second" in _roles(store), 60, first, second)
        imap_account.append([new_request(n, "pause") for n in range(BURST)])
        wait_for("part of the burst", lambda: store.ledger_count() >= BURST // 4, 120, first)

        paused_lease = _lease(store)
        assert paused_lease is not None
        paused = first if str(first.pid) in paused_lease.holder.split(":") else second
        other = second if paused is first else first
        tries = _pause(paused, url)
        paused_at = time.monotonic()
        imap_account.append([new_request(n, "meanwhile") for n in range(PAUSED)])
        wait_for(
            "the other takes over and handles the whole burst",
            lambda: store.ledger_count() >= BURST + PAUSED and imap_account.uids() == [],
            180,
            other,
        )
        lease = _lease(store)
        assert lease is not None and lease.holder != paused_lease.holder
        took_over = time.monotonic() - paused_at
        time.sleep(max(0.0, LEASE_SECONDS * 2 - took_over))  # well past its lease

        resumed_from = len(paused.log.read_text(errors="replace"))
        assert paused.process is not None
        paused.process.send_signal(signal.SIGCONT)
        wait_for(
            "the resumed one stands down",
            lambda: _role(store, paused_lease.holder) == "standing by",
            60,
            paused,
        )
        imap_account.append([new_request(n, "late") for n in range(LATE)])
        wait_for(
            "mail after the resume is handled",
            lambda: store.ledger_count() >= BURST + PAUSED + LATE and imap_account.uids() == [],
            120,
            other,
        )
        after_resume = _handled_lines(paused, resumed_from)
        assert paused.alive() and other.alive()
        assert paused.stop() == 0, paused.tail()
        assert other.stop() == 0, other.tail()
    finally:
        first.kill()
        second.kill()
        store.close()

    assert after_resume == [], "the paused reader handled mail after it was resumed"
    ledger = store.ledger()
    assert len(ledger) == BURST + PAUSED + LATE, "one outcome per message"
    assert len({e.message_id for e in ledger}) == BURST + PAUSED + LATE
    assert not [e for e in ledger if e.outcome == "quarantined"]
    assert len(imap_account.uids("Processed")) == BURST + PAUSED + LATE
    both = (first.log.read_text() + second.log.read_text()).splitlines()
    assert not [line for line in both if " ERROR " in line or "Traceback" in line]
    print(
        f"\npaused reader ({backend}): {BURST} + {PAUSED} + {LATE} messages, taken over "
        f"{took_over:.1f} s after the pause (lease {LEASE_SECONDS} s, {tries} tries to "
        "pause), "
        f"{len(_handled_lines(paused))} handled by the paused one before its pause, "
        "none after"
    )


def _roles(store: Store) -> dict[str, str]:
    """Each daemon's role by the start of its id ("first" / "second" by start order)."""
    with Session(store.engine) as session:
        rows = list(session.exec(select(DaemonBeat)).all())
    if len(rows) < 2:
        return {}
    ordered = sorted(rows, key=lambda r: r.started_at or r.last_check)  # type: ignore[arg-type, return-value]
    return {"first": ordered[0].role, "second": ordered[1].role}
