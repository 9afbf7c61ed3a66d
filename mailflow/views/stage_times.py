"""How long CRs stay at each stage: the median and 90th percentile of recent stays.

A stay ends when the CR moves on; the timeline's transition events mark both ends (an
event's `stage` is the stage it left), and the first stay starts when the CR was opened.
A stage passed in the same moment it was entered (a new request goes straight to
triage) is not a stay.
Only stays that ended within the window count, so a stage's figures follow what the
team does now rather than what it did a year ago; a CR sent back to a stage counts each
stay there. The CR at its stage now is not a stay yet: the page shows it by its age.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from mailflow.store.cr_tables import AuditEvent, ChangeRequest
from mailflow.views.durations import duration_words
from mailflow.views.progress import aware
from mailflow.workflow.definition import Workflow

WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class StageTime:
    """One stage's stays in the window: how many, the median and the 90th percentile."""

    stage: str
    title: str
    stays: int
    median: timedelta
    p90: timedelta

    @property
    def median_words(self) -> str:
        return duration_words(self.median)

    @property
    def p90_words(self) -> str:
        return duration_words(self.p90)


def stage_times(
    wf: Workflow, session: Session, now: datetime, scope: Sequence[Any] = ()
) -> list[StageTime]:
    """Per stage of the workflow, in its order, the stays that ended in the last 90 days
    among the CRs `scope` (SQL conditions on ChangeRequest) lets through."""
    since = now - WINDOW
    moved = (
        select(AuditEvent.cr_id)
        .where(AuditEvent.kind == "transition", col(AuditEvent.at) >= since)
        .distinct()
    )
    rows = session.exec(
        select(AuditEvent.cr_id, AuditEvent.stage, AuditEvent.at, ChangeRequest.created_at)
        .join(ChangeRequest, col(ChangeRequest.id) == col(AuditEvent.cr_id))
        .where(AuditEvent.kind == "transition", col(AuditEvent.cr_id).in_(moved), *scope)
        .order_by(col(AuditEvent.cr_id), col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    spans: dict[str, list[timedelta]] = {}
    for stage, started, ended in _stays(rows):
        # a stay of no time at all is a stage passed through at once, not time spent there
        if ended >= since and ended > started:
            spans.setdefault(stage, []).append(ended - started)
    return [_summary(s.name, s.title, spans[s.name]) for s in wf.stages if spans.get(s.name)]


def _stays(
    rows: Iterable[tuple[str, str, datetime, datetime]],
) -> Iterable[tuple[str, datetime, datetime]]:
    """(stage, entered, left) for each transition, ordered by CR and time."""
    cr_id, entered = "", datetime.min
    for row_cr, stage, at, created in rows:
        if row_cr != cr_id:
            cr_id, entered = row_cr, aware(created)
        left = aware(at)
        yield stage, entered, left
        entered = left


def _summary(stage: str, title: str, spans: list[timedelta]) -> StageTime:
    seconds = sorted(s.total_seconds() for s in spans)
    median = statistics.median(seconds)
    # the inclusive method keeps the 90th percentile within the stays actually seen
    p90 = (
        statistics.quantiles(seconds, n=10, method="inclusive")[-1] if len(seconds) > 1 else median
    )
    return StageTime(stage, title, len(seconds), timedelta(seconds=median), timedelta(seconds=p90))
