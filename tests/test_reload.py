"""SIGHUP to `mailflow run`: a broken file is refused and the running configuration kept;
a good one adds people at once; no message is dropped on the way."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import func, select

from mailflow.app import build_app
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.tables import ChangeRequest
from mailflow.transport.maildir import deliver
from tests.helpers import EXAMPLE_CONFIG, ROOT

NEWCOMER = """
[[people]]
name = "Noor Haddad"
email = "noor@ft.example"
roles = ["csm"]
accounts = ["acme"]
"""
MAIL = (
    b"From: %s\nTo: approvals@ft.example\nSubject: Export column %d\n"
    b"Message-ID: <reload-%d@ft.example>\n\nCustomer: acme\n\nPlease add the column.\n"
)


def _wait(check, what: str, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_sighup_reloads_a_good_configuration_and_keeps_the_old_one_for_a_bad(tmp_path: Path):
    config = tmp_path / "mailflow.toml"
    good = (
        EXAMPLE_CONFIG.read_text()
        .replace('data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "data"}"')
        .replace("poll_seconds = 30", "poll_seconds = 1")
    )
    config.write_text(good)
    app = build_app(config)
    log = (tmp_path / "log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailflow", "run", "--config", str(config)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    inbox = tmp_path / "data" / "mail"

    def count(table, *where) -> int:
        with app.db.session() as s:
            return int(s.exec(select(func.count()).select_from(table).where(*where)).one())

    try:
        _wait(
            lambda: (inbox / "inbox").is_dir() and "running" in Path(log.name).read_text(), "start"
        )
        deliver(inbox, MAIL % (b"noor@ft.example", 1, 1))
        _wait(lambda: count(LedgerEntry) == 1, "the stranger's mail")
        assert count(ChangeRequest) == 0, "before the reload Noor is a stranger"

        config.write_text(good + NEWCOMER + "\n[daemon]\nnot_a_setting = 1\n")
        proc.send_signal(signal.SIGHUP)
        _wait(lambda: "reload refused" in Path(log.name).read_text(), "the refusal")
        deliver(inbox, MAIL % (b"priya@ft.example", 2, 2))
        deliver(inbox, MAIL % (b"noor@ft.example", 3, 3))
        _wait(lambda: count(LedgerEntry) == 3, "mail after a refused reload")
        assert count(ChangeRequest) == 1, "the old people stay: Priya's CR only"

        config.write_text(good + NEWCOMER)
        proc.send_signal(signal.SIGHUP)
        _wait(lambda: "configuration reloaded" in Path(log.name).read_text(), "the reload")
        deliver(inbox, MAIL % (b"noor@ft.example", 4, 4))
        _wait(lambda: count(LedgerEntry) == 4, "mail after the reload")
        assert count(ChangeRequest) == 2, "Noor opens a CR once she is configured"
        assert proc.poll() is None, "the service kept running"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        app.close()
    assert proc.returncode == 0
    assert len(list((inbox / "processed").glob("*/*"))) == 4, "every message was filed"
