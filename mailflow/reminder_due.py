"""When a CR's next reminder falls due, stored on the row so the sweep asks an index.

The sweep used to walk every open CR in Python; now it selects rows whose
`next_reminder_at` has passed. The time is recomputed from the CR's state whenever that
state is written (a stage entered, a reminder sent, a hold or a resume), with the same
rule engine.remind applies: the stage's remind_hours of business time after the last
reminder, or after the stage was entered. engine.remind stays the judge; this only says
when to ask it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mailflow.workflow import engine
from mailflow.workflow.calendar import BusinessCalendar
from mailflow.workflow.definition import Workflow


def next_reminder(
    wf: Workflow, state: engine.CRState, calendar: BusinessCalendar
) -> datetime | None:
    """The moment engine.remind would first act on this state; None when it never would."""
    stage = wf.stage(state.stage)
    if stage is None or state.held or stage.remind_hours <= 0:
        return None
    if not engine.owed(wf, state):
        return None
    since = state.reminded_at or state.entered_at
    if since.tzinfo is None:  # as some drivers hand stored times back
        since = since.replace(tzinfo=UTC)
    return calendar.after(since, stage.remind_hours)
