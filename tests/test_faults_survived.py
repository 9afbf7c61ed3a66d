"""A running `mailflow run` survives a data folder that turns read-only or whose disk fills:
it keeps running, says why in one line, shows the fault in `status` and in its metrics, and
handles the mail that waited exactly once when it can write again.

The data folder is a small real tmpfs. Mail arrives the way an MTA delivers it, through a
second, writable path to the same file system: the service's own view of the folder is what
turns read-only (a read-only bind mount stacked on it, as a sandbox or a remount would do).
On the full disk the message is written to the inbox's tmp/ before the disk fills and moved
into new/ afterwards, as Maildir delivery does, since a rename needs no free space.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dovecot_server import free_port
from tests.helpers import ROOT
from tests.service_process import Service, Store, new_request, service_config, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
GENEROUS = 60.0  # seconds: bounds on waiting, not targets


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


class Setup:
    """The disk (a tmpfs), the service's view of it as its data folder, and the service."""

    def __init__(self, base: Path) -> None:
        self.base, self.disk, self.data = base, base / "disk", base / "data"
        self.port = free_port()
        config = service_config(base, daemon="poll_seconds = 1")
        config.write_text(config.read_text() + f"\n[metrics]\nport = {self.port}\n")
        self.config = config
        self.service = Service(config, base / "service.log")

    @property
    def inbox(self) -> Path:
        return self.disk / "mail" / "inbox"

    def log(self) -> str:
        return self.service.log.read_text(errors="replace")

    def ledger_of(self, message_id: str) -> int:
        store = Store(f"sqlite:///{self.disk / 'mailflow.db'}")
        try:
            return sum(1 for row in store.ledger() if row.message_id == message_id)
        finally:
            store.close()

    def status(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mailflow", "status", "--config", str(self.config)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=GENEROUS,
        )

    def metrics(self) -> dict[str, float]:
        url = f"http://127.0.0.1:{self.port}/metrics"
        with urllib.request.urlopen(url, timeout=GENEROUS) as got:
            text = got.read().decode()
        return {
            line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line and not line.startswith("#")
        }

    def handled_first_mail(self) -> None:
        """Start the service and let it handle one request while everything is writable."""
        self.service.start()
        wait_for("the inbox exists", lambda: (self.inbox / "new").is_dir(), GENEROUS, self.service)
        (self.inbox / "new" / "first").write_bytes(new_request(1, "fault"))
        wait_for(
            "the first request is filed",
            lambda: not list((self.inbox / "new").iterdir()),
            GENEROUS,
            self.service,
        )


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    setup = Setup(tmp_path)
    setup.disk.mkdir()
    setup.data.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(setup.disk))
        _mount("--bind", str(setup.disk), str(setup.data))
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        yield setup
    finally:
        if setup.service.alive():
            setup.service.kill()
        subprocess.run(["umount", "-R", str(setup.data)], check=False)
        subprocess.run(["umount", str(setup.disk)], check=False)


def _fault_shown(setup: Setup, words: str) -> None:
    """The one log line, `status` (non-zero) and the metrics all name the fault."""
    where = str(setup.data)
    wait_for(f"the log says {words!r}", lambda: words in setup.log(), GENEROUS, setup.service)
    time.sleep(3)  # a few more passes (poll_seconds = 1) that meet the same fault
    shown = setup.status()
    assert shown.returncode != 0, shown
    assert words in (shown.stdout + shown.stderr).lower() and where in shown.stdout + shown.stderr
    figures = setup.metrics()
    faults = {k: v for k, v in figures.items() if k.startswith("mailflow_write_fault{")}
    assert [k for k, v in faults.items() if v == 1 and words in k and where in k], faults
    assert "mailflow_write_fault_since_timestamp_seconds" in figures
    lines = [line for line in setup.log().splitlines() if words in line]
    assert len(lines) == 1, lines  # one line, not one per retry
    assert lines[0].split(": ", 1)[1].startswith(words), lines  # the cause first
    assert f"{where}:" in lines[0] or f"{where} (" in lines[0], lines  # the folder itself
    assert "Traceback" not in setup.log()


def _handled_once_after(setup: Setup, message_id: str) -> None:
    wait_for(
        "the waiting request is handled and filed",
        lambda: not list((setup.inbox / "new").iterdir()) and "written again" in setup.log(),
        GENEROUS,
        setup.service,
    )
    assert setup.service.alive(), setup.service.tail()
    assert setup.ledger_of(message_id) == 1
    assert setup.status().returncode == 0, setup.status()
    assert setup.metrics()  # still answering
    assert setup.service.stop() == 0, setup.service.tail()


def test_a_data_folder_turning_read_only_is_survived(setup: Setup) -> None:
    setup.handled_first_mail()
    _mount("--bind", str(setup.disk), str(setup.data))  # the service's view turns read-only
    _mount("-o", "remount,bind,ro", str(setup.data))
    (setup.inbox / "new" / "second").write_bytes(new_request(2, "fault"))
    _fault_shown(setup, "read-only")
    assert setup.service.alive(), setup.service.tail()
    subprocess.run(["umount", str(setup.data)], check=True)  # writable again
    _handled_once_after(setup, "<fault-2@ft.example>")


def test_a_full_disk_is_survived_and_named(setup: Setup) -> None:
    setup.handled_first_mail()
    (setup.inbox / "tmp" / "second").write_bytes(new_request(2, "fault"))
    filler = setup.disk / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"x" * 4096)
        except OSError:
            pass
    os.rename(setup.inbox / "tmp" / "second", setup.inbox / "new" / "second")
    _fault_shown(setup, "disk full")
    assert "WARNING mailflow.service.health: disk full at" in setup.log()  # the cause first
    assert setup.service.alive(), setup.service.tail()
    filler.unlink()
    _handled_once_after(setup, "<fault-2@ft.example>")
