"""Two `mailflow run` daemons on one PostgreSQL and one Dovecot mailbox, sending through SMTP.

Only one reads; a burst is handled once each; the reader is SIGKILLed mid-burst and the
other takes over when the lease runs out, finishes the burst, and `mailflow status` names
the dead one. A duplicate delivery is allowed only for a mail the killed daemon had handed
to the SMTP server but not yet marked sent (the send-to-commit window), and is counted.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlmodel import Session, select

from mailflow.store.heartbeat import DaemonBeat
from mailflow.store.lease import SourceLease
from tests.helpers import ROOT
from tests.pg import postgres_server, postgres_url  # noqa: F401
from tests.servers import ImapAccount, SmtpServer, dovecot, imap_account, smtp_server  # noqa: F401
from tests.service_process import Service, Store, message_ids, service_config, wait_for

BURST = 60
LEASE_SECONDS = 3
UNHEALTHY_AFTER = 5


def _stale(then: datetime, seconds: float) -> bool:
    return (datetime.now(UTC) - then).total_seconds() > seconds + 0.5


def _request(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Priya Nair <priya@ft.example>"
    msg["To"] = "approvals@ft.example"
    msg["Subject"] = f"Export column {n}"
    msg["Message-ID"] = make_msgid(f"burst{n}", domain="ft.example")
    msg.set_content(f"Customer: acme\n\nPlease add export column number {n} to the report.")
    return msg.as_bytes()


def _daemons(store: Store) -> dict[str, DaemonBeat]:
    with Session(store.engine) as session:
        return {d.daemon: d for d in session.exec(select(DaemonBeat)).all()}


def _holder(store: Store) -> str:
    with Session(store.engine) as session:
        lease = session.exec(select(SourceLease)).first()
        return lease.holder if lease is not None else ""


def _status(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailflow", "status", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("death", ["killed", "hung, then killed"])
def test_one_reads_the_other_takes_over_when_it_dies(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    imap_account: ImapAccount,  # noqa: F811
    smtp_server: SmtpServer,  # noqa: F811
    death: str,
) -> None:
    """Killed: its pid is gone on this machine, so the other need not wait for the lease.
    Hung (SIGSTOP), as on another host: the lease must run out first; then it is killed."""
    config = service_config(
        tmp_path,
        database_url=postgres_url,
        imap=imap_account,
        smtp=smtp_server,
        daemon=f"poll_seconds = 1\nlease_seconds = {LEASE_SECONDS}\n"
        f"unhealthy_after_seconds = {UNHEALTHY_AFTER}",
    )
    store = Store(postgres_url)
    first = Service(config, tmp_path / "first.log").start()
    second = Service(config, tmp_path / "second.log")
    try:
        wait_for("the first daemon reads", lambda: bool(_holder(store)), 60, first)
        second.start()
        wait_for("two daemons beat", lambda: len(_daemons(store)) == 2, 60, first, second)
        roles = sorted(d.role for d in _daemons(store).values())
        assert roles == ["reading", "standing by"]

        imap_account.append([_request(n) for n in range(BURST)])
        wait_for("part of the burst", lambda: store.ledger_count() >= BURST // 4, 120, first)
        reader = first if str(first.pid) in _holder(store).split(":") else second
        other = second if reader is first else first
        reader_id = _holder(store)
        reader.kill() if death == "killed" else reader.freeze()
        killed_at = time.monotonic()
        time.sleep(0.3)  # let the SMTP server finish a transaction the kill cut short
        in_window = set(message_ids(g.data for g in smtp_server.received)) - store.sent_ids()
        done_at_kill = store.ledger_count()

        wait_for("the other takes over", lambda: _holder(store) not in ("", reader_id), 60)
        took_over = time.monotonic() - killed_at
        reader.kill()
        wait_for(
            "the whole burst handled and sent",
            lambda: (
                store.ledger_count() >= BURST
                and imap_account.uids() == []
                and all(r.status == "sent" for r in store.outbox())
            ),
            120,
            other,
        )
        dead = _daemons(store)[reader_id].last_check
        assert dead is not None
        wait_for("the dead one's beat is stale", lambda: _stale(dead, UNHEALTHY_AFTER), 60)
        status = _status(config)
        assert status.returncode == 1, status.stdout
        assert f"daemon {reader_id}: STOPPED" in status.stdout, status.stdout  # its pid is gone
        assert "healthy — reading" in status.stdout, status.stdout
        assert other.stop() == 0, other.tail()
    finally:
        first.kill()
        second.kill()
        store.close()

    ledger = store.ledger()
    assert len(ledger) == BURST, "one outcome per message"
    assert len({e.message_id for e in ledger}) == BURST
    assert not [e for e in ledger if e.outcome == "quarantined"]
    assert imap_account.uids("Quarantine") == [], "nothing filed in Quarantine"
    assert len(imap_account.uids("Processed")) == BURST
    delivered = message_ids(g.data for g in smtp_server.received)
    duplicates = {mid: n for mid, n in delivered.items() if n > 1}
    assert set(delivered) == store.sent_ids(), "every queued mail was delivered"
    assert set(duplicates) <= in_window and all(n == 2 for n in duplicates.values())
    both = (first.log.read_text() + second.log.read_text()).splitlines()
    assert not [line for line in both if " ERROR " in line or "Traceback" in line]
    print(
        f"\ntwo daemons: {BURST} messages, reader {death} after {done_at_kill}, "
        f"taken over {took_over:.1f} s after the kill (lease {LEASE_SECONDS} s), "
        f"{len(in_window)} mail(s) in the send-to-commit window, {len(duplicates)} duplicate(s)"
    )
