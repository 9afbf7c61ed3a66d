"""What the engine decided, written inside the caller's transaction.

The CR row, its decision, its timeline and every mail it causes are written together,
so a crash leaves either all of it or none of it (DESIGN invariant 2). Answers held
for a stage the result enters are applied by effects.carry_out, above this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from mailflow.app import App
from mailflow.chain import post
from mailflow.chain.timeline import audit
from mailflow.mail.context import CrView
from mailflow.mail.parse import Inbound
from mailflow.security.audience import Audience
from mailflow.store.cr_state import state_of
from mailflow.store.tables import ChangeRequest, Decision
from mailflow.workflow.engine_values import Audit, CRState, Mail, Result, Said
from mailflow.workflow.reminder_due import next_reminder


def write_result(
    app: App,
    session: Session,
    cr: ChangeRequest,
    result: Result,
    *,
    now: datetime,
    actor: str,
    said: Said | None = None,
    ledger_id: int | None = None,
    reply_to: Inbound | None = None,
    context: Mapping[str, Any] | None = None,
    held: str = "",
) -> None:
    """Write the new state, the decision, the timeline and the outgoing mail of one result;
    with `held`, the answer to the sender is noted on the timeline instead of queued."""
    stage_before = cr.stage
    _write_state(app, session, cr, result.state, now)
    if result.applied and said is not None and app.workflow.command(said.verb) is None:
        session.add(Decision(cr_id=cr.id, stage=stage_before, verb=said.verb, actor=actor,
                             text=said.text, ledger_id=ledger_id, at=now))  # fmt: skip
    for effect in result.effects:
        if isinstance(effect, Audit):
            audit(session, cr, effect.kind, effect.detail, now, actor=actor,
                  ledger_id=ledger_id, stage=stage_before)  # fmt: skip
    views: dict[Audience, CrView] = {}  # the CR does not change between its mails
    for effect in result.effects:
        if isinstance(effect, Mail):
            extra = {**(context or {}), **effect.context}
            post.queue_mail(app, session, cr, effect, now=now, reply_to=reply_to, context=extra,
                            held=held, views=views)  # fmt: skip


def entered_a_stage(result: Result) -> bool:
    """Whether the result moved the CR into another stage (its transition on the timeline)."""
    return any(isinstance(e, Audit) and e.kind == "transition" for e in result.effects)


def _write_state(
    app: App, session: Session, cr: ChangeRequest, state: CRState, now: datetime
) -> None:
    """The CR row as the engine left it; a result that changed nothing (a refusal, a
    question) leaves the row, and when it was last updated, as they were."""
    if state == state_of(cr, state.currency, state.conventions):
        return
    cr.stage, cr.held, cr.fields = state.stage, state.held, dict(state.fields)
    cr.votes = [list(v) for v in state.votes]
    cr.entered_at, cr.reminders, cr.reminded_at = (
        state.entered_at,
        state.reminders,
        state.reminded_at,
    )
    cr.updated_at = now
    cr.next_reminder_at = next_reminder(app.workflow, state, app.settings.schedule.calendar)
    for name, spec in app.workflow.fields.items():
        if spec.type == "person" and name in cr.fields:
            cr.assignee = str(cr.fields[name])
    session.add(cr)
    session.flush()
