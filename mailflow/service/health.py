"""Is the watcher alive, and can it write? The verdict `mailflow status` shows, and the
daemon's own watch over the places it writes to.

A watcher that stopped cleanly, or whose process is gone on this machine, is reported
stopped at once: waiting for its heartbeat to go stale would call a dead service healthy
for minutes. Only a watcher elsewhere, whose process cannot be looked at, is judged by
the age of its last mailbox check.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from mailflow.store.faults import Fault, diagnose, probe

if TYPE_CHECKING:  # rows of these tables, as the ORM or `status` (read_tables.py) reads them
    from mailflow.store.heartbeat import DaemonBeat, Heartbeat
    from mailflow.store.lease import SourceLease

log = logging.getLogger(__name__)


class State(StrEnum):
    HEALTHY = "healthy"
    UNHEALTHY = "UNHEALTHY"
    STOPPED = "STOPPED"


@dataclass
class Verdict:
    healthy: bool
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Here:
    """Where `status` runs: a pid can be looked at only on the same machine (and pid space)."""

    host: str
    node: str = ""
    pid_gone: Callable[[int], bool] = lambda _pid: False


def _ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


# Each rule: (the watcher's mailbox row, its lease row, here) -> why it is stopped, or "".
StopRule: TypeAlias = "Callable[[Heartbeat, SourceLease | None, Here], str]"
STOP_RULES: tuple[StopRule, ...] = (
    lambda _b, lease, _h: "it stopped cleanly" if lease is not None and not lease.holder else "",
    lambda _b, lease, here: (
        f"its process (pid {lease.pid}) is gone"
        if lease is not None and lease.node and lease.node == here.node and here.pid_gone(lease.pid)
        else ""
    ),
    lambda beat, lease, here: (
        f"its process (pid {beat.pid}) is gone"
        if lease is None and beat.pid and beat.host == here.host and here.pid_gone(beat.pid)
        else ""
    ),
)


def stopped_because(beat: Heartbeat, lease: SourceLease | None, here: Here) -> str:
    """Why the watcher of this mailbox no longer runs ("" when it may well run)."""
    for rule in STOP_RULES:
        reason = rule(beat, lease, here)
        if reason:
            return reason
    return ""


def judge(
    beats: Sequence[Heartbeat],
    now: datetime,
    unhealthy_after: float,
    daemons: Sequence[DaemonBeat] = (),
    leases: Mapping[str, SourceLease] | None = None,
    here: Here | None = None,
) -> Verdict:
    """Healthy only while every mailbox has a running watcher that checked it recently and
    every daemon beats; a clean stop or a vanished process is "stopped" at once."""
    here = here or Here(host="")
    verdict = Verdict(True)
    if not beats:
        verdict = Verdict(False, ["watcher: no heartbeat yet (has `mailflow run` been started?)"])
    for beat in beats:
        ok = _judge_watcher(
            beat, (leases or {}).get(beat.source), here, now, unhealthy_after, verdict.lines
        )
        verdict.healthy = verdict.healthy and ok
    for daemon in daemons:
        ok = _judge_daemon(daemon, here, now, unhealthy_after, verdict.lines)
        verdict.healthy = verdict.healthy and ok
    return verdict


def _judge_watcher(
    beat: Heartbeat,
    lease: SourceLease | None,
    here: Here,
    now: datetime,
    unhealthy_after: float,
    out: list[str],
) -> bool:
    """One mailbox's lines; False when its watcher stopped or has not checked it for too long."""
    why_stopped = stopped_because(beat, lease, here)
    state = _state(bool(why_stopped), beat.last_check, now, unhealthy_after)
    out.append(
        f"watcher {beat.source}: {state} — mailbox checked {_ago(beat.last_check, now)}, "
        f"last message handled {_ago(beat.last_message, now)}"
        + (f", pid {beat.pid} on {beat.host}" if beat.pid else "")
    )
    if why_stopped:
        out.append(f"  {why_stopped}: nothing reads the mailbox until `mailflow run` starts again")
    elif state is State.UNHEALTHY:
        out.append(f"  the mailbox has not been checked for over {unhealthy_after:g} s")
    if beat.last_error:
        out.append(f"  last error {_ago(beat.last_error_at, now)}: {beat.last_error}")
    return state is State.HEALTHY


def _judge_daemon(
    daemon: DaemonBeat, here: Here, now: datetime, unhealthy_after: float, out: list[str]
) -> bool:
    """One daemon's line (its role, last check, last error); False when it stopped beating."""
    gone = bool(here.host) and daemon.host == here.host and here.pid_gone(daemon.pid)
    state = _state(gone, daemon.last_check, now, unhealthy_after)
    out.append(
        f"daemon {daemon.daemon}: {state} — {daemon.role}, "
        f"last check {_ago(daemon.last_check, now)}, pid {daemon.pid} on {daemon.host}"
    )
    if gone:
        out.append(f"  its process (pid {daemon.pid}) is gone, without a clean stop")
    elif state is State.UNHEALTHY:
        out.append(f"  no beat for over {unhealthy_after:g} s and no clean stop: it died or hangs")
    if daemon.last_error:
        out.append(f"  last error {_ago(daemon.last_error_at, now)}: {daemon.last_error}")
    return state is State.HEALTHY


def _state(
    stopped: bool, last_check: datetime | None, now: datetime, unhealthy_after: float
) -> State:
    """Stopped wins; otherwise a check older than `unhealthy_after` seconds is unhealthy."""
    if stopped:
        return State.STOPPED
    stale = last_check is None or (now - last_check).total_seconds() > unhealthy_after
    return State.UNHEALTHY if stale else State.HEALTHY


def write_places(settings: Any) -> list[Path]:
    """The folders the service writes to: the SQLite file's, the data folder, the Maildirs."""
    places: list[Path] = []
    url = str(settings.database_url)
    if url.startswith("sqlite:///"):
        places.append(Path(url.removeprefix("sqlite:///")).parent)
    places.append(Path(settings.data_dir))
    if "maildir" in (settings.source_kind, settings.sink_kind):
        root = Path(settings.maildir_root)
        places += [root, *(root / name for name in ("inbox", "processed", "quarantine", "sent"))]
    return list(dict.fromkeys(places))


def write_faults(places: Sequence[Path]) -> list[Fault]:
    """The full or read-only file systems among the places, each named once (its top place)."""
    found: dict[tuple[Any, ...], Fault] = {}
    for place in places:
        fault = probe(place)
        if fault is None:
            continue
        try:
            key: tuple[Any, ...] = (os.stat(place).st_dev, fault.cause)
        except OSError:
            key = (str(place), fault.cause)
        found.setdefault(key, fault)
    return list(found.values())


class FaultWatch:
    """The daemon's current write fault: one log line when it begins and one when it ends,
    not one per retry; metrics read `current` and `since`."""

    def __init__(self, places: Sequence[Path], clock: Callable[[], datetime] | None = None):
        self.places = list(places)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.current: Fault | None = None
        self.since: datetime | None = None
        self.count = 0  # transient errors seen; a job that saw none may clear the fault

    def seen(self, exc: BaseException) -> bool:
        """Note a transient error; True when it is a write fault (logged once, then quiet)."""
        self.count += 1
        fault = diagnose(exc, self.places)
        if fault is None:
            return False
        if fault != self.current:
            self.current, self.since = fault, self.clock()
            log.warning(
                "%s; waiting mail stays in the mailbox and is handled once this can be written",
                fault.line(),
            )
        return True

    def passed(self, count_before: int) -> None:
        """A job ran without a transient error: the fault ends once its place is writable."""
        if self.current is None or self.count != count_before:
            return
        if probe(Path(self.current.where)) is not None:
            return
        log.info("%s can be written again; handling the waiting mail", self.current.where)
        self.current = self.since = None
