"""The Prometheus endpoint scraped over HTTP, and the log lines of a whole CR lifecycle."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import urllib.request
from datetime import UTC, datetime

from sqlmodel import select

from mailflow.cli.demo import SCRIPT
from mailflow.security.tokens import TOKEN_RE
from mailflow.service import logs
from mailflow.service.daemon import Daemon
from mailflow.service.run import attach
from mailflow.store.message_tables import OutboxRow
from mailflow.transport.maildir import MaildirSink, MaildirSource
from tests.dovecot_server import free_port
from tests.helpers import Clock, make_app
from tests.web_site import play

SECRET = "s3cret-key-for-reply-tokens-0123456789"
CR_THIS_YEAR = f"CR-{datetime.now(UTC).year}-0001"  # any year: a CR id as the log names it


def _app(tmp_path, metrics_port: int = 0):
    def adjust(s):
        return dataclasses.replace(
            s,
            security=dataclasses.replace(s.security, secret=SECRET),
            metrics=s.metrics.model_copy(update={"port": metrics_port}),
        )

    return make_app(tmp_path, adjust=adjust)


def test_metrics_are_scraped_over_http_with_prometheus_names(tmp_path):
    port = free_port()
    app = _app(tmp_path, port)
    root = app.settings.maildir_root
    daemon = Daemon(app, MaildirSource(root), MaildirSink(root))
    detach = attach(daemon)
    try:
        cr = play(app, 3, Clock(), daemon)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as got:
            text = got.read().decode()
    finally:
        detach()
        app.close()
    assert cr
    lines = {line.split(" ")[0]: line.split(" ")[1] for line in text.splitlines() if line[0] != "#"}
    assert float(lines['mailflow_messages_total{outcome="applied"}']) >= 2
    assert float(lines["mailflow_message_handling_seconds_count"]) >= 3
    assert "mailflow_outbox_depth" in lines and "mailflow_outbox_failed" in lines
    assert any(k.startswith("mailflow_change_requests{stage=") for k in lines)
    assert any(k.startswith("mailflow_change_requests_overdue{stage=") for k in lines)
    assert "mailflow_canary_missed" in lines
    assert "# TYPE mailflow_messages_total counter" in text
    assert "# TYPE mailflow_mailbox_last_check_timestamp_seconds gauge" in text


def test_json_logs_of_a_whole_lifecycle_name_crs_and_messages_and_leak_no_secret(tmp_path):
    stream = io.StringIO()
    handler = logs.setup("json", verbose=True, stream=stream, force=True)
    try:
        app = _app(tmp_path)
        logs.mask_secrets(logs.secrets_of(app.settings))
        root = app.settings.maildir_root
        daemon = Daemon(app, MaildirSource(root), MaildirSink(root))
        detach = attach(daemon)
        try:
            play(app, len(SCRIPT), Clock(), daemon)
            logging.getLogger("mailflow.test").info("a line that quotes %s", SECRET)
        finally:
            detach()
        with app.db.session() as s:
            sent = b"".join(s.exec(select(OutboxRow.data)).all()).decode("utf-8", "replace")
        app.close()
    finally:
        logging.getLogger().removeHandler(handler)  # type: ignore[arg-type]
    tokens = {m.group(0) for m in TOKEN_RE.finditer(sent)}
    assert len(tokens) > 20, "the lifecycle minted reply tokens"
    out = stream.getvalue()
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) > 30
    assert any(r.get("cr_id") and r.get("message_id") for r in records)
    assert SECRET not in out and "[redacted]" in out
    assert not [t for t in tokens if t.lower() in out.lower()]
    assert not TOKEN_RE.search(out)


def test_a_token_or_secret_in_a_log_line_is_masked_in_text_format_too():
    stream = io.StringIO()
    handler = logs.setup("text", stream=stream, force=True)
    try:
        logs.mask_secrets(["hunter2-password"])
        token = "t1abcd1234567abcdefghijklmnopqrst"
        assert TOKEN_RE.search(token)
        logging.getLogger("x").warning("login hunter2-password failed; ref %s", token)
    finally:
        logging.getLogger().removeHandler(handler)  # type: ignore[arg-type]
    line = stream.getvalue()
    assert "hunter2" not in line and token not in line and line.count("[redacted]") == 2


def test_json_lines_say_null_where_there_is_no_cr_or_message():
    stream = io.StringIO()
    handler = logs.setup("json", stream=stream, force=True)
    try:
        logging.getLogger("mailflow.test").info("between messages", extra={"attempt": None})
        logs.handling("<m1@ft.example>")
        logging.getLogger("mailflow.test").info(f"handling {CR_THIS_YEAR}")
        logs.handling(None)
    finally:
        logging.getLogger().removeHandler(handler)  # type: ignore[arg-type]
    idle, busy = (json.loads(line) for line in stream.getvalue().splitlines())
    assert idle["message_id"] is None and idle["cr_id"] is None and idle["attempt"] is None
    assert '"None"' not in stream.getvalue()
    assert busy["message_id"] == "<m1@ft.example>" and busy["cr_id"] == CR_THIS_YEAR
