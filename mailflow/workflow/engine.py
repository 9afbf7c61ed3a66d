"""The pure workflow step: (CR state, who, what they said, now) → new state and effects.

No I/O and no clock: the caller passes the time in and carries the effects out. Stage
names come only from the Workflow object, so replacing the workflow file changes the
process without touching this code. The values it takes and gives are in
engine_values.py; reminders and escalations in reminding.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from mailflow.workflow import approvals, commands
from mailflow.workflow.checks import check_reply
from mailflow.workflow.definition import Reply, Stage, Workflow
from mailflow.workflow.engine_values import Actor, Audit, CRState, Effect, Mail, Result, Said
from mailflow.workflow.fields import show
from mailflow.workflow.outcomes import enter, refuse
from mailflow.workflow.reasons import Refusal
from mailflow.workflow.reminding import remind

# What a step takes and gives, and the reminder step, stay reachable as engine.X: the
# engine's interface (engine.apply(wf, state, engine.Actor(…), engine.Said(…), now)).
__all__ = [
    "Actor", "Audit", "CRState", "Mail", "Result", "Said", "apply", "remind", "revisit", "start",
]  # fmt: skip


def apply(wf: Workflow, state: CRState, actor: Actor, said: Said, now: datetime) -> Result:
    """Act on one reply, or refuse it with a reason the sender is told."""
    command = wf.command(said.verb)
    if command is not None:
        return commands.run(wf, state, actor, said, command, now)
    admitted = _admitted(wf, state, actor, said)
    if isinstance(admitted, Result):
        return admitted
    stage, reply, acting = admitted
    conv = state.conventions
    if state.currency and not conv.currency:
        conv = replace(conv, currency=state.currency)
    checked = check_reply(wf, dict(state.fields), conv, reply, said.text, dict(said.fields),
                          said.attachments, now, state.entered_at)  # fmt: skip
    if checked.problem is not None:
        reason, detail, context = checked.problem
        kept = replace(state, fields={**state.fields, **checked.remember})
        return refuse(wf, kept, actor, Refusal(reason), detail, context)
    new_fields = {**state.fields, **checked.values}
    if reply.reason and said.text:
        new_fields[f"{stage.name}.{reply.verb.lower()}"] = said.text
    spec = wf.verb(said.verb)
    if spec is not None and spec.affirmative:
        new_fields = approvals.with_seen(stage, new_fields)
    before, state = state, replace(state, fields=new_fields)
    said_as = f"{actor.address} ({', '.join(sorted(acting))}): {said.verb}"
    decision = Audit("decision", said_as + (f" — {said.text}" if said.text else ""))
    if stage.act == "all" and spec is not None and spec.affirmative:
        voted = _vote(wf, state, actor, acting, stage, said, decision)
        if isinstance(voted, Result):
            return voted
        state = voted
    result = _answered(wf, state, reply, acting, said, decision, list(checked.recorded), now)
    if not approvals.undone(wf, state.fields, checked.values):
        return result
    why = f"given with {said.verb} at {stage.title}"
    return revisit(wf, result.state, before.fields, checked.values, actor.address, why, now,
                   result.effects)  # fmt: skip


def _admitted(
    wf: Workflow, state: CRState, actor: Actor, said: Said
) -> tuple[Stage, Reply, frozenset[str]] | Result:
    """The stage, the reply it takes and the sender's acting roles; or why not."""
    if wf.is_end(state.stage):
        return refuse(wf, state, actor, Refusal.ENDED, f"it is already {wf.title_of(state.stage)}")
    stage = wf.stage(state.stage)
    assert stage is not None, f"unknown state {state.stage!r}"
    if state.held:
        return refuse(wf, state, actor, Refusal.ON_HOLD, "it is on hold; a CSM can RESUME it")
    reply = stage.reply(said.verb)
    if reply is None:
        why = f'"{said.verb}" is not one of the replies the stage "{stage.title}" takes'
        return refuse(wf, state, actor, Refusal.NOT_EXPECTED, why, {"verb": said.verb})
    acting = actor.roles & set(stage.actors)
    if not acting:
        return refuse(wf, state, actor, Refusal.WRONG_SENDER, _who(wf, stage))
    return stage, reply, frozenset(acting)


def _vote(
    wf: Workflow,
    state: CRState,
    actor: Actor,
    acting: frozenset[str],
    stage: Stage,
    said: Said,
    decision: Audit,
) -> CRState | Result:
    """At a stage every actor must approve: record this vote; the stage waits for the rest."""
    voted = {role for role, verb in state.votes if verb == said.verb}
    if acting <= voted:
        return refuse(wf, state, actor, Refusal.ALREADY_DECIDED, "your reply is already recorded")
    votes = state.votes + tuple((role, said.verb) for role in sorted(acting - voted))
    state = replace(state, votes=votes)
    waiting = [r for r in stage.actors if r not in {role for role, _ in votes}]
    if not waiting:
        return state
    titles = ", ".join(wf.roles[r].title for r in waiting)
    context = {"verb": said.verb, "waiting": titles}
    return Result(state, (decision, Mail("notice/vote_recorded", to_sender=True, context=context)))


def _answered(
    wf: Workflow,
    state: CRState,
    reply: Reply,
    acting: frozenset[str],
    said: Said,
    decision: Audit,
    recorded: list[str],
    now: datetime,
) -> Result:
    """The reply is taken: acknowledge it, and move on when it leads somewhere."""
    context: dict[str, Any] = {"verb": said.verb, "text": said.text, "recorded": recorded}
    if reply.to is None:
        told = tuple(r for r in reply.notify if r not in acting)
        effects: list[Effect] = [decision, Mail("notice/accepted", to_sender=True, context=context)]
        if told:
            update = {"verb": said.verb, "text": said.text}
            effects.append(Mail("notice/update", to_roles=told, context=update))
        return Result(state, tuple(effects))
    ack = Mail(
        "notice/accepted", to_sender=True, context={**context, "next": wf.title_of(reply.to)}
    )
    return enter(wf, state, reply.to, now, (decision, ack))


def revisit(
    wf: Workflow,
    state: CRState,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    by: str,
    reason: str,
    now: datetime,
    effects: tuple[Effect, ...] = (),
) -> Result:
    """Figures changed after approvals that saw them: those approvals no longer stand.

    The new values are recorded, the approvals that saw the old ones are dropped, their
    approvers are told old → new, by whom and why, and the CR goes back to the first of
    those stages (or stays where it is, when that is earlier still).
    """
    undone = approvals.undone(wf, state.fields, new)
    fields = approvals.forget({**state.fields, **new}, undone)
    state = replace(state, fields=fields)
    if not undone:
        return Result(state, effects)
    conv = state.conventions
    changes = [
        (wf.fields[k].label, show(old[k], wf.fields[k], conv) if k in old else "(none)",
         show(v, wf.fields[k], conv))
        for k, v in new.items()
        if k in wf.fields and old.get(k) != v
    ]  # fmt: skip
    titles = ", ".join(s.title for s in undone)
    told = tuple(dict.fromkeys(r for s in undone for r in s.actors))
    moved = Audit(
        "superseded",
        f"{by}: {'; '.join(f'{label} {a} → {b}' for label, a, b in changes)} ({reason}); "
        f"no longer approved: {titles}",
    )
    notice = Mail(
        "notice/figures_changed",
        to_roles=told,
        cc_roles=tuple(r for r in wf.informed if r not in told),
        context={"changes": changes, "by": by, "reason": reason, "undone": titles},
    )
    order = [s.name for s in wf.stages]
    back = undone[0].name
    if state.stage in order and order.index(state.stage) <= order.index(back):
        return Result(state, (*effects, moved, notice))
    return enter(wf, state, back, now, (*effects, moved, notice))


def start(wf: Workflow, actor: Actor, said: Said, now: datetime, currency: str = "") -> Result:
    """Open a new CR at the workflow's first stage and apply the opening reply to it."""
    return apply(wf, CRState(stage=wf.start, entered_at=now, currency=currency), actor, said, now)


def _who(wf: Workflow, stage: Stage) -> str:
    titles = " and ".join(wf.roles[r].title for r in stage.actors)
    return f"stage {stage.title!r} is decided by the {titles}"
