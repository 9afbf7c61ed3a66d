"""Faults in production transports: every inbound message still gets exactly one outcome and
every mail that should go out is delivered exactly once."""

from __future__ import annotations

import dataclasses
import email
import logging
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy

import pytest
from sqlmodel import col, select

from mailflow.app import app_from_settings
from mailflow.cli.demo import cast_message
from mailflow.config.settings import load_settings
from mailflow.service import pipeline
from mailflow.service.daemon import Daemon
from mailflow.store.message_tables import LedgerEntry, OutboxRow
from mailflow.store.tables import AuditEvent, ChangeRequest
from mailflow.transport.imap import ImapSource
from mailflow.transport.smtp import SmtpSettings, SmtpSink
from tests.helpers import EXAMPLE_CONFIG


class Rig:
    """The daemon's jobs run by hand on a clock the test moves, against real servers."""

    def __init__(self, folder, account, smtp, **imap):
        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
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
                timeout_seconds=3,
                envelope_from=settings.shared_inbox,
            ),
        )
        self.app = app_from_settings(settings)
        self.account, self.smtp = account, smtp
        self.source = ImapSource(settings.imap)
        self.daemon = Daemon(
            self.app,
            self.source,
            SmtpSink(settings.smtp),
            clock=lambda: self.now,
            source_name="rig",
        )
        self.appended: list[bytes] = []

    def close(self):
        self.source.close()
        self.app.close()

    def deliver(self, sender, body, kind="", attachment=""):
        parent = None if kind == "new" else self.latest_to(sender)
        data = cast_message(self.app, sender, body, attachment, kind, parent).as_bytes()
        self.account.append([data], folder=self.source.settings.inbox)
        self.appended.append(data)

    def cycle(self, advance: timedelta = timedelta(0)):
        self.now += advance
        self.daemon.cycle()

    def latest_to(self, address):
        for got in reversed(self.smtp.received):
            if address in got.rcpt_tos:
                return email.message_from_bytes(got.data, policy=default_policy)
        return None

    def rows(self, model, *where):
        with self.app.db.session() as s:
            return list(s.exec(select(model).where(*where).order_by(col(model.id))).all())

    def cr(self):
        with self.app.db.session() as s:
            return s.exec(select(ChangeRequest)).first()

    def assert_exactly_once(self):
        ledger = self.rows(LedgerEntry)
        assert len(ledger) == len(self.appended), "one outcome per inbound message"
        assert len({e.content_hash for e in ledger}) == len(ledger)
        sent = [r for r in self.rows(OutboxRow) if r.status == "sent"]
        ids = [email.message_from_bytes(g.data)["Message-ID"] for g in self.smtp.received]
        assert len(ids) == len(set(ids)), "no mail was delivered twice"
        assert sorted(ids) == sorted(r.message_id for r in sent)


@pytest.fixture
def rig(tmp_path, imap_account, smtp_server):
    r = Rig(tmp_path, imap_account, smtp_server)
    yield r
    r.close()


def test_dovecot_restarted_mid_run(rig, caplog):
    rig.deliver("priya@ft.example", "Customer: acme\n\nNew export column", kind="new")
    rig.cycle()
    rig.account.server.restart()
    rig.deliver("integration@ft.example", "IS CR")
    with caplog.at_level(logging.INFO):
        rig.cycle()
    assert rig.cr().stage == "in_principle"
    rig.deliver("dana@acme.example", "Approved")
    rig.cycle()
    rig.assert_exactly_once()
    assert rig.account.uids() == []


def test_smtp_refusing_then_failing_then_down_and_back(rig):
    rig.smtp.handler.data_reply = "451 4.3.0 Try again later"
    rig.deliver("priya@ft.example", "Customer: acme\n\nNew export column", kind="new")
    rig.cycle()
    pending = rig.rows(OutboxRow)
    assert pending and all(r.status == "pending" and r.attempts == 1 for r in pending)
    assert "451" in pending[0].last_error and rig.smtp.received == []
    rig.smtp.handler.data_reply = None
    rig.cycle(timedelta(hours=2))
    assert all(r.status == "sent" for r in rig.rows(OutboxRow))

    rig.smtp.handler.data_reply = "554 5.7.1 Message rejected"
    rig.deliver("integration@ft.example", "IS CR")
    rig.cycle()
    failed = rig.rows(OutboxRow, OutboxRow.status == "failed")
    assert failed and all("554" in r.last_error for r in failed)
    notes = rig.rows(AuditEvent, AuditEvent.kind == "delivery_failed")
    assert len(notes) == len(failed), "each permanent failure is recorded on the CR"

    rig.smtp.handler.data_reply = None
    rig.smtp.stop()
    rig.deliver("dana@acme.example", "Approved")
    rig.cycle()
    waiting = rig.rows(OutboxRow, OutboxRow.status == "pending")
    assert waiting and all(r.attempts == 1 for r in waiting)
    rig.smtp.start()
    rig.cycle(timedelta(hours=2))
    assert rig.rows(OutboxRow, OutboxRow.status == "pending") == []
    rig.assert_exactly_once()


def test_uidvalidity_change_after_a_crash_between_commit_and_move(
    tmp_path, imap_account, smtp_server, monkeypatch
):
    rig = Rig(tmp_path, imap_account, smtp_server, inbox="Requests")
    try:
        rig.deliver("priya@ft.example", "Customer: acme\n\nNew export column", kind="new")
        rig.cycle()
        rig.deliver("integration@ft.example", "IS CR")
        with monkeypatch.context() as crash:  # committed, then the process dies before MOVE
            crash.setattr(rig.source, "ack_many", lambda items: None)
            rig.cycle()
        left = rig.appended[-1]
        with imap_account.client() as other:
            other.delete_folder("Requests")
            other.create_folder("Requests")
            other.append("Requests", left)
        rig.deliver("dana@acme.example", "Approved")
        rig.cycle()
        assert imap_account.uids("Requests") == []
        assert rig.cr().stage == "in_principle"
        rig.assert_exactly_once()
    finally:
        rig.close()


def test_a_missing_processed_folder_is_created_again(rig):
    rig.deliver("priya@ft.example", "Customer: acme\n\nNew export column", kind="new")
    rig.cycle()
    with rig.account.client() as other:
        other.delete_folder("Processed")
    rig.deliver("integration@ft.example", "IS CR")
    for _ in range(3):
        rig.cycle()
    assert rig.account.uids() == []
    assert len(rig.account.uids("Processed")) >= 1
    rig.assert_exactly_once()


def test_a_message_deleted_by_someone_else_before_it_is_filed(rig, monkeypatch):
    rig.deliver("priya@ft.example", "Customer: acme\n\nNew export column", kind="new")
    real = pipeline.handle

    def handle_then_vanish(app, raw, now):
        handled = real(app, raw, now)
        with rig.account.client() as other:
            other.select_folder("INBOX")
            other.delete_messages(other.search(["ALL"]))
            other.expunge()
        return handled

    monkeypatch.setattr(pipeline, "handle", handle_then_vanish)
    rig.cycle()
    assert rig.cr() is not None and rig.cr().stage == "triage"
    rig.assert_exactly_once()
