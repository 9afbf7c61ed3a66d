"""`mailflow run` as ops run it: a real process that stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailflow.transport.maildir import deliver
from tests.helpers import EXAMPLE_CONFIG, ROOT

MAIL = (
    b"From: Priya Nair <priya@ft.example>\nTo: approvals@ft.example\n"
    b"Subject: Export column\nMessage-ID: <sig-%d@ft.example>\n\nCustomer: acme\n\nPlease.\n"
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_service_stops_cleanly_after_the_current_message(tmp_path: Path, signum) -> None:
    config = tmp_path / "mailflow.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text()
        .replace('data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "data"}"')
        .replace("poll_seconds = 30", "poll_seconds = 1")
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailflow", "run", "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        inbox_root = tmp_path / "data" / "mail"
        deadline = time.monotonic() + 20
        while not (inbox_root / "inbox").is_dir() and time.monotonic() < deadline:
            time.sleep(0.05)
        for n in range(3):
            deliver(inbox_root, MAIL % n)
        processed = inbox_root / "processed"
        while time.monotonic() < deadline and len(list(processed.glob("*/*"))) < 3:
            time.sleep(0.05)
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "stopping after the current message" in out and "mailflow stopped" in out
    assert len(list((inbox_root / "processed").glob("*/*"))) == 3
    assert list((inbox_root / "inbox").glob("*/*")) == []
