"""The daemon's watch over its own health: jobs that fail without ending the loop, the
heartbeat, and faults of the disk (full, read-only) said once rather than every pass.

Apart from the loop because every job, the mailbox wait and the retry pause report through
it, and "say a write fault once, then say when it passed" is one rule that must hold for all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mailflow.app import App
from mailflow.errors import MailflowError, TransientError
from mailflow.service.health import FaultWatch, write_places
from mailflow.service.read_right import ReadRight
from mailflow.store.faults import describe, is_transient
from mailflow.store.heartbeat import beat
from mailflow.transport.base import Source, Stateful

log = logging.getLogger("mailflow.service.daemon")  # the daemon's lines, under its name


class Watch:
    """Guards the daemon's jobs and records its heartbeat (see the module doc)."""

    def __init__(self, app: App, right: ReadRight, clock: Callable[[], datetime]) -> None:
        self.app, self.right, self.clock = app, right, clock
        self.faults = FaultWatch(write_places(app.settings))  # a full disk, a read-only folder

    def guarded(self, job: Callable[[], int]) -> None:
        """Run one job; whatever it raises is logged (a known fault only once), never raised."""
        faults_before = self.faults.count
        try:
            job()
        except TransientError as exc:
            if not self.faults.seen(exc):
                log.warning("%s: %s; will try again", job.__name__, exc)
        except MailflowError as exc:
            log.error("%s: %s", job.__name__, exc)
        except Exception as exc:  # noqa: BLE001 - the loop must outlive any one failure
            if not is_transient(exc):
                log.exception("%s failed; will try again", job.__name__)
            elif not self.faults.seen(exc):
                log.warning("%s: %s; will try again", job.__name__, describe(exc))
        else:
            self.faults.passed(faults_before)

    def beat(self, source: Source, source_name: str, **facts: Any) -> None:
        """Record the watcher's pulse; a failing database must not stop the loop.

        The mailbox's row is written only by the daemon reading it: one standing by would
        overwrite the reader's position with its own empty one.
        """
        if facts.get("error"):
            self.right.note_error(str(facts["error"]))
        if not self.right.reading:
            return
        state = source.state if isinstance(source, Stateful) else None
        try:
            with self.app.db.transaction() as session:
                beat(
                    session,
                    source_name,
                    self.clock(),
                    state=dict(state()) if state is not None else None,
                    **facts,
                )
        except Exception as exc:  # noqa: BLE001
            if self.faults.seen(exc):  # a full or read-only disk: said once already
                pass
            elif is_transient(exc):  # the database is down: one line, not a traceback
                log.warning("could not record the heartbeat: %s", describe(exc))
            else:
                log.exception("could not record the heartbeat")
