"""When a CR's next reminder falls due, stored on the row so the sweep asks an index.

The sweep used to walk every open CR in Python; now it selects rows whose
`next_reminder_at` has passed. The time is recomputed from the CR's state whenever that
state is written (a stage entered, a reminder sent, a hold or a resume), with the same
rule reminding.remind applies: the stage's remind_hours of business time after the last
reminder, or after the stage was entered. reminding.remind stays the judge; this only says
when to ask it. A stored time is only as good as the settings it was computed under;
`timing_digest` names those settings, and the sweep recomputes every open CR's time when
the digest changes (a shorter interval, a new business day).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from mailflow.workflow import reminding
from mailflow.workflow.calendar import BusinessCalendar
from mailflow.workflow.definition import Workflow
from mailflow.workflow.engine_values import CRState


def next_reminder(wf: Workflow, state: CRState, calendar: BusinessCalendar) -> datetime | None:
    """The moment reminding.remind would first act on this state; None when it never would."""
    stage = wf.stage(state.stage)
    if stage is None or state.held or stage.remind_hours <= 0:
        return None
    if not reminding.owed(wf, state):
        return None
    since = state.reminded_at or state.entered_at
    if since.tzinfo is None:  # as some drivers hand stored times back
        since = since.replace(tzinfo=UTC)
    return calendar.after(since, stage.remind_hours)


def timing_digest(wf: Workflow, calendar: BusinessCalendar) -> str:
    """A digest of everything next_reminder reads besides the CR itself."""
    settings = {
        "stages": [[s.name, s.remind_hours, list(s.actors), s.act] for s in wf.stages],
        "ends": sorted(wf.ends),
        "weekdays": sorted(calendar.weekdays),
        "holidays": sorted(day.isoformat() for day in calendar.holidays),
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:32]
