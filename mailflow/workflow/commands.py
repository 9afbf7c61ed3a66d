"""Commands that work at any stage (STATUS?, HOLD, RESUME, CANCEL, CONFIRM): who may give
them and what each does to the CR.

Apart from the engine's replies at a stage because a command skips the stage's own
rules (its actors, its fields, its votes): its roles and its effect come from the
workflow's [commands], and STATUS? is answered even after the CR has ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from mailflow.workflow.definition import PARTICIPANTS, Command, Workflow
from mailflow.workflow.engine_values import EVERYONE, Actor, Audit, CRState, Mail, Result, Said
from mailflow.workflow.outcomes import enter, refuse
from mailflow.workflow.reasons import Refusal


def run(
    wf: Workflow, state: CRState, actor: Actor, said: Said, command: Command, now: datetime
) -> Result:
    """A command that works at any stage (STATUS?, HOLD, RESUME, CANCEL, CONFIRM)."""
    anyone = EVERYONE in command.roles
    if not (bool(actor.roles) if anyone else bool(actor.roles & set(command.roles))):
        titles = ", ".join(wf.roles[r].title for r in command.roles if r in wf.roles)
        return refuse(wf, state, actor, Refusal.WRONG_SENDER, f"only {titles} may {said.verb}")
    early = _EARLY_COMMANDS.get(command.effect)
    if early is not None:
        return early(wf, state, actor)
    if wf.is_end(state.stage):
        return refuse(wf, state, actor, Refusal.ENDED, f"it is already {wf.title_of(state.stage)}")
    if command.reason and not said.text:
        why = f"{said.verb} needs a reason after it"
        return refuse(wf, state, actor, Refusal.MISSING_REASON, why)
    audit = Audit(
        "command", f"{actor.address}: {said.verb}" + (f" — {said.text}" if said.text else "")
    )
    notice = Mail(
        "notice/command",
        to_roles=(PARTICIPANTS,),
        context={"verb": said.verb, "text": said.text},
    )
    if command.effect in ("hold", "resume"):
        hold = command.effect == "hold"
        if state.held == hold:
            why = "it is already on hold" if hold else "it is not on hold"
            return refuse(wf, state, actor, Refusal.ALREADY_DECIDED, why)
        held = replace(state, held=hold) if hold else replace(state, held=False, reminded_at=now)
        return Result(held, (audit, notice))
    assert command.to is not None
    fields = {**state.fields, "end.reason": said.text} if said.text else state.fields
    return enter(wf, replace(state, fields=fields, held=False), command.to, now, (audit,))


def _unconfirmed(wf: Workflow, state: CRState, actor: Actor) -> Result:
    """The caller swaps a CONFIRM for the decision it confirms; one that reaches the engine
    had nothing waiting."""
    why = "there is no decision of yours waiting for confirmation at this stage"
    return refuse(wf, state, actor, Refusal.NOT_EXPECTED, why)


def _status(wf: Workflow, state: CRState, actor: Actor) -> Result:
    asked = Audit("status", f"{actor.address} asked for the status")
    return Result(state, (asked, Mail("notice/status", to_sender=True)))


# Commands answered whatever the CR's state, even when it has ended.
_EARLY_COMMANDS: dict[str, Callable[[Workflow, CRState, Actor], Result]] = {
    "confirm": _unconfirmed,
    "status": _status,
}
