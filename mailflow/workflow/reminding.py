"""Reminders and escalations: who still owes a reply at a stage, and what to send them
when the stage has waited past its interval.

Apart from the transition rules (engine.py) because it answers a different question,
on a different clock: not "what does this reply do" but "who is late, and who hears of
it". Pure like the engine: the caller passes the time in and carries the effects out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from mailflow.workflow.definition import Workflow
from mailflow.workflow.engine_values import Audit, CRState, Mail, Result


def remind(
    wf: Workflow,
    state: CRState,
    now: datetime,
    escalate_after: int,
    elapsed: Callable[[datetime, datetime], float] | None = None,
) -> Result | None:
    """A reminder (or an escalation) when the stage has waited past its interval, else None.

    Reminders go only to the actors who still owe a reply. Escalations are internal: to
    the next role in `escalate_to`, or, when that role is itself the one late, to the
    `escalate_instead` roles; the late actors are copied unless they are `external`.
    `elapsed` measures waiting hours (business days); by default every hour counts.
    """
    stage = wf.stage(state.stage)
    if stage is None or state.held or stage.remind_hours <= 0:
        return None
    since = state.reminded_at or state.entered_at
    hours = elapsed(since, now) if elapsed else (now - since).total_seconds() / 3600
    if hours < stage.remind_hours:
        return None
    late = owed(wf, state)
    if not late:
        return None
    count = state.reminders + 1
    state = replace(state, reminders=count, reminded_at=now)
    context = {
        "count": count,
        "reminders_sent": min(count - 1, escalate_after),
        "waiting_hours": round((now - state.entered_at).total_seconds() / 3600),
        "late": " and ".join(wf.roles[r].title for r in late if r in wf.roles),
    }
    level = count - escalate_after
    if level <= 0 or not wf.escalate_to:
        cc = tuple(r for r in stage.copy if r not in late)
        mail = Mail("notice/reminder", to_roles=late, cc_roles=cc, context=context)
        return Result(state, (Audit("reminder", f"reminder {count} sent"), mail))
    target = wf.escalate_to[min(level, len(wf.escalate_to)) - 1]
    to = (target,) if target not in late else tuple(r for r in wf.escalate_instead if r not in late)
    if not to:
        return Result(state, (Audit("escalation", "no one to escalate to who is not late"),))
    cc = tuple(r for r in late if r not in wf.external and r not in to)
    mail = Mail("notice/escalation", to_roles=to, cc_roles=cc, context={**context, "level": level})
    titles = " and ".join(wf.roles[r].title for r in to if r in wf.roles)
    return Result(state, (Audit("escalation", f"escalated to {titles}"), mail))


def owed(wf: Workflow, state: CRState) -> tuple[str, ...]:
    """The actor roles that still owe a reply: at an all-of stage, those not yet recorded."""
    stage = wf.stage(state.stage)
    if stage is None or wf.is_end(state.stage):
        return ()
    if stage.act != "all":
        return stage.actors
    answered = {role for role, _verb in state.votes}
    return tuple(r for r in stage.actors if r not in answered)
