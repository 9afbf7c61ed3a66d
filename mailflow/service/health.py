"""Is the watcher alive? Turns heartbeats into the lines and verdict `mailflow status` shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mailflow.store.heartbeat import DaemonBeat, Heartbeat


@dataclass
class Verdict:
    healthy: bool
    lines: list[str] = field(default_factory=list)


def _ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def judge(
    beats: Sequence[Heartbeat],
    now: datetime,
    unhealthy_after: float,
    daemons: Sequence[DaemonBeat] = (),
) -> Verdict:
    """Unhealthy when no watcher ran, one has not checked its mailbox for too long, or a
    daemon stopped beating without a clean stop (a clean stop removes its row)."""
    verdict = Verdict(True)
    if not beats:
        verdict = Verdict(False, ["watcher: no heartbeat yet (has `mailflow run` been started?)"])
    for beat in beats:
        stale = beat.last_check is None or (
            (now - beat.last_check).total_seconds() > unhealthy_after
        )
        state = "UNHEALTHY" if stale else "healthy"
        verdict.healthy = verdict.healthy and not stale
        verdict.lines.append(
            f"watcher {beat.source}: {state} — mailbox checked {_ago(beat.last_check, now)}, "
            f"last message handled {_ago(beat.last_message, now)}"
            + (f", pid {beat.pid} on {beat.host}" if beat.pid else "")
        )
        if stale:
            verdict.lines.append(
                f"  the mailbox has not been checked for over {unhealthy_after:g} s"
            )
        if beat.last_error:
            verdict.lines.append(f"  last error {_ago(beat.last_error_at, now)}: {beat.last_error}")
    for daemon in daemons:
        verdict.healthy = _judge_daemon(daemon, now, unhealthy_after, verdict.lines) and (
            verdict.healthy
        )
    return verdict


def _judge_daemon(
    daemon: DaemonBeat, now: datetime, unhealthy_after: float, out: list[str]
) -> bool:
    """One daemon's line (its role, last check, last error); False when it stopped beating."""
    stale = daemon.last_check is None or (now - daemon.last_check).total_seconds() > unhealthy_after
    out.append(
        f"daemon {daemon.daemon}: {'UNHEALTHY' if stale else 'healthy'} — {daemon.role}, "
        f"last check {_ago(daemon.last_check, now)}, pid {daemon.pid} on {daemon.host}"
    )
    if stale:
        out.append(f"  no beat for over {unhealthy_after:g} s and no clean stop: it died or hangs")
    if daemon.last_error:
        out.append(f"  last error {_ago(daemon.last_error_at, now)}: {daemon.last_error}")
    return not stale
