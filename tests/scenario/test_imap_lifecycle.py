"""The whole lifecycle as in production: replies land in a real Dovecot, the daemon runs its
loop (IDLE or polling), and what it sends is captured by a real SMTP server."""

from __future__ import annotations

import dataclasses
import email
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from mailflow.app import App, app_from_settings
from mailflow.cli.demo import SCRIPT, cast_message, completed_end
from mailflow.config.settings import load_settings
from mailflow.service.daemon import Daemon
from mailflow.store.message_tables import LedgerEntry, OutboxRow
from mailflow.store.tables import ChangeRequest
from mailflow.transport.imap import ImapSource
from mailflow.transport.smtp import SmtpSettings, SmtpSink
from tests.helpers import EXAMPLE_CONFIG
from tests.servers import ImapAccount, SmtpServer


class Service:
    """mailflow running in a thread against the test servers, as `mailflow run` would."""

    def __init__(self, folder: Path, account: ImapAccount, smtp: SmtpServer, **imap: object):
        settings = load_settings(EXAMPLE_CONFIG)
        settings = dataclasses.replace(
            settings,
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'mailflow.db'}",
            source_kind="imap",
            imap=account.settings(**imap),
            sink_kind="smtp",
            smtp=SmtpSettings(
                host=smtp.host,
                port=smtp.port,
                security="plain",
                timeout_seconds=5,
                envelope_from=settings.shared_inbox,
            ),
            # In IDLE mode only a push can wake the daemon quickly: its own poll is slow.
            poll_seconds=60 if imap.get("idle") else 1,
        )
        self.app: App = app_from_settings(settings)
        self.account, self.smtp = account, smtp
        self.source = ImapSource(settings.imap)
        self.daemon = Daemon(
            self.app, self.source, SmtpSink(settings.smtp), source_name="imap-test"
        )
        self.thread = threading.Thread(target=self.daemon.run, daemon=True)
        self.appended = 0

    def __enter__(self) -> Service:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.daemon.stop()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the daemon did not stop"
        self.source.close()
        self.app.close()

    def deliver(self, msg: EmailMessage | bytes) -> None:
        self.account.append([msg if isinstance(msg, bytes) else msg.as_bytes()])
        self.appended += 1

    def wait_for(self, check: Callable[[], bool], what: str, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if check():
                return
            time.sleep(0.05)
        last = [(e.outcome, e.reason) for e in self.ledger()[-3:]]
        raise AssertionError(
            f"timed out waiting for {what}; {self.appended} appended, "
            f"last outcomes {last}, {len(self.smtp.received)} mails received"
        )

    def settled(self) -> bool:
        """Every appended message has its outcome and nothing is left to send."""
        with self.app.db.session() as s:
            handled = s.exec(select(func.count()).select_from(LedgerEntry)).one()
            pending = s.exec(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "pending")
            ).one()
        return handled >= self.appended and pending == 0

    def latest_to(self, address: str) -> EmailMessage | None:
        for got in reversed(self.smtp.received):
            if address in got.rcpt_tos:
                return email.message_from_bytes(got.data, policy=default_policy)  # type: ignore[return-value]
        return None

    def ledger(self) -> list[LedgerEntry]:
        with self.app.db.session() as s:
            return list(s.exec(select(LedgerEntry).order_by(col(LedgerEntry.id))).all())

    def outbox(self) -> list[OutboxRow]:
        with self.app.db.session() as s:
            return list(s.exec(select(OutboxRow).order_by(col(OutboxRow.id))).all())

    def cr(self) -> ChangeRequest:
        with self.app.db.session() as s:
            cr = s.exec(select(ChangeRequest)).first()
            assert cr is not None
            return cr


@pytest.mark.parametrize("mode", ["idle", "poll"])
def test_the_whole_lifecycle_over_imap_and_smtp(tmp_path, imap_account, smtp_server, mode):
    with Service(tmp_path, imap_account, smtp_server, idle=mode == "idle", poll_seconds=0.2) as svc:
        for sender, body, attachment, kind in SCRIPT:
            parent = (
                None
                if kind == "new"
                else (svc.latest_to(sender) or svc.latest_to("priya@ft.example"))
            )
            svc.deliver(cast_message(svc.app, sender, body, attachment, kind, parent))
            svc.wait_for(svc.settled, f"{sender}: {body[:30]!r} to be handled")
        cr = svc.cr()
        assert cr.stage == completed_end(svc.app)
        ledger = svc.ledger()
        assert len(ledger) == len(SCRIPT), "every inbound message has exactly one outcome"
        assert len({e.content_hash for e in ledger}) == len(SCRIPT)
        assert [e.outcome for e in ledger].count("ignored") == 1  # the out-of-office
        outbox = svc.outbox()
        assert all(row.status == "sent" and row.attempts == 1 for row in outbox)
        assert len(smtp_server.received) == len(outbox), "each mail delivered exactly once"
        svc.wait_for(lambda: imap_account.uids() == [], "the inbox to be emptied")
        assert len(imap_account.uids("Processed")) == len(SCRIPT)
    first_request = email.message_from_bytes(smtp_server.received[0].data, policy=default_policy)
    for got in smtp_server.received:
        msg = email.message_from_bytes(got.data, policy=default_policy)
        assert f"[{cr.id}]" in msg["Subject"]
        assert msg["Message-ID"] and msg["Auto-Submitted"] == "auto-generated"
        assert msg["In-Reply-To"], "every mail threads into the CR's conversation"
        assert got.mail_from == "approvals@ft.example"
    exec_request = next(
        email.message_from_bytes(g.data, policy=default_policy)
        for g in smtp_server.received
        if b"X-Mailflow-Template: request/executive_approval" in g.data
    )
    assert "amardeep@ft.example" in exec_request["To"]
    assert {"sumesh@ft.example", "mohit@ft.example"} <= set(
        a.strip() for a in str(exec_request["Cc"]).split(",")
    )
    assert first_request["In-Reply-To"] == cr.thread_root


def test_a_burst_of_mail_is_handled_exactly_once(tmp_path, imap_account, smtp_server):
    with Service(tmp_path, imap_account, smtp_server, idle=True) as svc:
        msgs = [
            cast_message(svc.app, "someone@acme.example", f"question {n}", "", "new", None)
            for n in range(20)
        ]
        for msg in msgs:
            msg.replace_header("Subject", f"Question {msg['Message-ID']}")
        svc.account.append(m.as_bytes() for m in msgs)
        svc.appended = 20
        svc.wait_for(svc.settled, "the burst to be handled")
        outcomes = [e.outcome for e in svc.ledger()]
        assert len(outcomes) == 20 and outcomes.count("answered") == 1
        assert len(smtp_server.received) == 1, "a stranger is answered once a day"
