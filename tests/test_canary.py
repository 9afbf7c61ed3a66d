"""The canary over real servers: sent through SMTP, back through Dovecot, filed as our own
mail; a broken SMTP route or a mailbox that never receives it makes the service unhealthy."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import timedelta
from typing import Any

from prometheus_client import generate_latest
from sqlmodel import func, select

from mailflow.app import app_from_settings
from mailflow.config.settings import load_settings
from mailflow.service.canary import Canary
from mailflow.service.canary_health import judge_canary, problem
from mailflow.service.daemon import Daemon
from mailflow.service.health import Verdict
from mailflow.service.metrics import Metrics
from mailflow.service.run import attach
from mailflow.store.message_tables import LedgerEntry, OutboxRow
from mailflow.store.ops_tables import CanaryRound
from mailflow.store.tables import ChangeRequest
from mailflow.transport.imap import ImapSource
from mailflow.transport.smtp import SmtpSettings, SmtpSink
from tests.helpers import EXAMPLE_CONFIG
from tests.servers import ImapAccount, RecordingHandler, SmtpServer


class Relay(RecordingHandler):
    """An SMTP server that delivers what it accepts into a Dovecot mailbox, like an MTA."""

    def __init__(self, account: ImapAccount) -> None:
        super().__init__()
        self.account = account

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        self.account.append([bytes(envelope.original_content)])
        return reply


def _app(tmp_path, account: ImapAccount, smtp: SmtpServer, every: float = 0.01):
    settings = load_settings(EXAMPLE_CONFIG)
    settings = dataclasses.replace(
        settings,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'mailflow.db'}",
        source_kind="imap",
        imap=account.settings(),
        sink_kind="smtp",
        smtp=SmtpSettings(host=smtp.host, port=smtp.port, security="plain", timeout_seconds=5),
        poll_seconds=0.3,
        canary=settings.canary.model_copy(
            update={"every_minutes": every, "missed_after_minutes": 1}
        ),
    )
    return app_from_settings(settings)


def _rounds(app) -> list[CanaryRound]:
    with app.db.session() as s:
        return list(s.exec(select(CanaryRound)).all())


def test_the_canary_comes_back_and_is_filed_as_our_own_mail(tmp_path, imap_account):
    smtp = SmtpServer()
    smtp.handler = Relay(imap_account)
    smtp.start()
    app = _app(tmp_path, imap_account, smtp)
    source = ImapSource(app.settings.imap)
    daemon = Daemon(app, source, SmtpSink(app.settings.smtp), source_name="canary-test")
    detach = attach(daemon)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    try:
        end = time.monotonic() + 30
        while time.monotonic() < end and not any(r.returned_at for r in _rounds(app)):
            time.sleep(0.1)
    finally:
        daemon.stop()
        thread.join(timeout=30)
        detach()
        source.close()
        smtp.stop()
    back = [r for r in _rounds(app) if r.returned_at]
    assert back, "no canary came back"
    with app.db.session() as s:
        outcomes = s.exec(select(LedgerEntry.outcome, LedgerEntry.reason)).all()
        assert s.exec(select(func.count()).select_from(ChangeRequest)).one() == 0
        assert s.exec(select(func.count()).select_from(OutboxRow)).one() == 0
        verdict = Verdict(True)
        judge_canary(s.connection(), back[0].returned_at, app.settings.canary, verdict)
    assert outcomes and all(o == "ignored" and "own" in r for o, r in outcomes), outcomes
    assert verdict.healthy and "canary: healthy" in verdict.lines[0]
    app.close()


def test_a_broken_smtp_route_makes_the_canary_unhealthy_and_raises_the_metric(
    tmp_path, imap_account
):
    smtp = SmtpServer()  # never started: nothing listens on its port
    app = _app(tmp_path, imap_account, smtp)
    sink = SmtpSink(app.settings.smtp)
    row = Canary(app, sink).send_round()
    sink.close()
    assert row.error
    with app.db.session() as s:
        verdict = Verdict(True)
        judge_canary(s.connection(), row.sent_at, app.settings.canary, verdict)
    assert not verdict.healthy and "could not be sent" in verdict.lines[-1]
    scraped = generate_latest(Metrics(app).registry).decode()
    assert "mailflow_canary_missed 1.0" in scraped
    app.close()


def test_a_mailbox_that_never_receives_the_canary_is_noticed(tmp_path, imap_account, smtp_server):
    app = _app(tmp_path, imap_account, smtp_server)  # accepts mail but delivers it nowhere
    sink = SmtpSink(app.settings.smtp)
    row = Canary(app, sink).send_round()
    sink.close()
    assert not row.error and smtp_server.received
    with app.db.session() as s:
        assert (
            problem(s.connection(), row.sent_at + timedelta(seconds=30), app.settings.canary)
            is None
        )
        late = row.sent_at + timedelta(minutes=2)
        verdict = Verdict(True)
        judge_canary(s.connection(), late, app.settings.canary, verdict)
    assert not verdict.healthy and "did not come back within 1 min" in verdict.lines[-1]
    app.close()
