"""`mailflow status` tells a stopped service at once: after a clean stop (SIGTERM, or the end
of `run --once`) and when the watcher's process is gone from this machine, it says STOPPED
and exits non-zero, instead of calling the service healthy until its heartbeat goes stale.
Only a watcher elsewhere, whose process cannot be looked at, is judged by that age."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailflow.service.health import Here, judge
from mailflow.store.heartbeat import DaemonBeat, Heartbeat
from mailflow.store.lease import SourceLease
from tests.helpers import ROOT
from tests.service_process import Service, new_request, service_config, wait_for

GENEROUS = 60.0


def _status(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailflow", "status", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=GENEROUS,
    )


def _watcher_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("watcher "))


def test_a_running_service_is_healthy_and_a_killed_one_stopped_at_once(tmp_path: Path) -> None:
    config = service_config(tmp_path, daemon="poll_seconds = 1")
    service = Service(config, tmp_path / "service.log").start()
    try:
        inbox = tmp_path / "data" / "mail" / "inbox" / "new"
        wait_for("the inbox exists", inbox.is_dir, GENEROUS, service)
        (inbox / "one").write_bytes(new_request(1, "status"))
        wait_for("the request is filed", lambda: not list(inbox.iterdir()), GENEROUS, service)
        running = _status(config)
        assert running.returncode == 0, running
        assert "healthy" in _watcher_line(running.stdout)
        service.kill()  # SIGKILL: no clean stop, the rows stay behind
        gone = _status(config)
    finally:
        service.kill()
    assert gone.returncode != 0, gone
    assert "STOPPED" in _watcher_line(gone.stdout), gone.stdout
    assert f"pid {service.pid}) is gone" in gone.stdout, gone.stdout
    daemon = next(line for line in gone.stdout.splitlines() if line.startswith("daemon "))
    assert "STOPPED" in daemon, gone.stdout


def test_a_service_stopped_cleanly_or_after_once_is_stopped(tmp_path: Path) -> None:
    config = service_config(tmp_path)
    once = subprocess.run(
        [sys.executable, "-m", "mailflow", "run", "--once", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=GENEROUS,
    )
    assert once.returncode == 0, once
    after_once = _status(config)
    assert after_once.returncode != 0, after_once
    assert "STOPPED" in _watcher_line(after_once.stdout), after_once.stdout
    assert "it stopped cleanly" in after_once.stdout

    service = Service(config, tmp_path / "service.log").start()
    try:
        wait_for("it reads", lambda: "now reading" in service.tail(), GENEROUS, service)
        assert _status(config).returncode == 0
        assert service.stop() == 0
    finally:
        service.kill()
    after_stop = _status(config)
    assert after_stop.returncode != 0 and "it stopped cleanly" in after_stop.stdout, after_stop


NOW = datetime.now(UTC)
HERE = Here(host=socket.gethostname(), node="this-node", pid_gone=lambda pid: pid == 4242)


def _beat(pid: int = 4242, host: str = "", checked_ago: float = 5) -> Heartbeat:
    return Heartbeat(
        source="maildir:/srv/mail",
        host=host or socket.gethostname(),
        pid=pid,
        last_check=NOW - timedelta(seconds=checked_ago),
    )


def _lease(holder: str = "vm:4242:x", node: str = "this-node", pid: int = 4242) -> SourceLease:
    return SourceLease(
        source="maildir:/srv/mail",
        holder=holder,
        node=node,
        pid=pid,
        expires_at=NOW + timedelta(seconds=10),
        taken_at=NOW,
    )


def _verdict(beat: Heartbeat, lease: SourceLease | None) -> tuple[bool, str]:
    leases = {beat.source: lease} if lease is not None else {}
    verdict = judge([beat], NOW, 300, (), leases, HERE)
    return verdict.healthy, "\n".join(verdict.lines)


def test_the_reader_of_another_machine_is_judged_by_its_last_check_only() -> None:
    healthy, lines = _verdict(_beat(), _lease(node="another-node"))
    assert healthy and "healthy" in lines  # pid 4242 is gone here, but that is not its pid
    healthy, lines = _verdict(_beat(checked_ago=301), _lease(node="another-node"))
    assert not healthy and "UNHEALTHY" in lines
    healthy, lines = _verdict(_beat(pid=os.getpid()), _lease(pid=os.getpid()))
    assert healthy, lines


def test_a_lease_given_up_or_a_process_gone_here_is_stopped_though_fresh() -> None:
    assert _verdict(_beat(), _lease(holder=""))[1].count("it stopped cleanly") == 1
    healthy, lines = _verdict(_beat(), _lease())
    assert not healthy and "STOPPED" in lines and "pid 4242) is gone" in lines
    healthy, lines = _verdict(_beat(), None)  # no lease row: the mailbox row's own pid
    assert not healthy and "STOPPED" in lines
    healthy, _ = _verdict(_beat(host="elsewhere"), None)
    assert healthy


def test_a_daemon_row_whose_process_is_gone_here_is_stopped() -> None:
    row = DaemonBeat(
        daemon="vm:4242:x",
        host=socket.gethostname(),
        pid=4242,
        role="standing by",
        last_check=NOW,
    )
    verdict = judge([_beat(pid=os.getpid())], NOW, 300, [row], {}, HERE)
    assert not verdict.healthy and any(line.startswith("daemon ") and "STOPPED" in line
                                       for line in verdict.lines)  # fmt: skip
    elsewhere = DaemonBeat(**{**row.model_dump(), "host": "elsewhere"})
    assert judge([_beat(pid=os.getpid())], NOW, 300, [elsewhere], {}, HERE).healthy
