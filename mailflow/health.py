"""Is the watcher alive? Turns heartbeats into the lines and verdict `mailflow status` shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mailflow.store.heartbeat import Heartbeat


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


def judge(beats: Sequence[Heartbeat], now: datetime, unhealthy_after: float) -> Verdict:
    """Unhealthy when no watcher ran, or one has not checked its mailbox for too long."""
    if not beats:
        return Verdict(False, ["watcher: no heartbeat yet (has `mailflow run` been started?)"])
    verdict = Verdict(True)
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
    return verdict
