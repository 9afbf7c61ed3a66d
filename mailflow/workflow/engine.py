"""The pure workflow step: (CR state, who, what they said, now) → new state and effects.

No I/O and no clock: the caller passes the time in and carries the effects out. Stage
names come only from the Workflow object, so replacing the workflow file changes the
process without touching this code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from mailflow.workflow import approvals
from mailflow.workflow.checks import check_reply
from mailflow.workflow.conventions import Conventions
from mailflow.workflow.definition import ANYONE, PARTICIPANTS, Command, Reply, Stage, Workflow
from mailflow.workflow.fields import expected, show
from mailflow.workflow.reasons import Question, Refusal

EVERYONE = ANYONE


@dataclass(frozen=True)
class CRState:
    """What the engine needs to know of a CR; the store maps it to and from its row."""

    stage: str
    entered_at: datetime
    held: bool = False
    fields: Mapping[str, Any] = field(default_factory=dict)
    votes: tuple[tuple[str, str], ...] = ()
    reminders: int = 0
    reminded_at: datetime | None = None
    currency: str = ""
    # how the CR's account writes figures and what its fields are checked against
    conventions: Conventions = field(default_factory=Conventions)


@dataclass(frozen=True)
class Actor:
    """The sender of a reply and the roles they hold on this CR."""

    address: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Said:
    """A reply as the engine sees it: verb, free text, raw `Key: value` fields, file count.

    Field keys are as the sender wrote them ("price", "due date"); Workflow.field_for
    says which field each one is.
    """

    verb: str
    text: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    attachments: int = 0


@dataclass(frozen=True)
class Mail:
    """An effect: a mail from a template to roles (EVERYONE = all on the CR) or to the sender."""

    template: str
    to_roles: tuple[str, ...] = ()
    cc_roles: tuple[str, ...] = ()
    to_sender: bool = False
    context: Mapping[str, Any] = field(default_factory=dict)
    # stages whose received documents go with this mail (the newest version of each)
    attach: tuple[str, ...] = ()


@dataclass(frozen=True)
class Audit:
    """An effect: one line of the CR's timeline."""

    kind: str
    detail: str


Effect = Mail | Audit


@dataclass(frozen=True)
class Result:
    """What apply() decided. `refusal` is None when the reply was acted on (a question back
    is not acting on it either)."""

    state: CRState
    effects: tuple[Effect, ...]
    refusal: Refusal | Question | None = None
    detail: str = ""

    @property
    def applied(self) -> bool:
        return self.refusal is None


def apply(wf: Workflow, state: CRState, actor: Actor, said: Said, now: datetime) -> Result:
    """Act on one reply, or refuse it with a reason the sender is told."""
    command = wf.command(said.verb)
    if command is not None:
        return _command(wf, state, actor, said, command, now)
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
        return _refuse(wf, kept, actor, Refusal(reason), detail, context)
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
        return _refuse(wf, state, actor, Refusal.ENDED, f"it is already {wf.title_of(state.stage)}")
    stage = wf.stage(state.stage)
    assert stage is not None, f"unknown state {state.stage!r}"
    if state.held:
        return _refuse(wf, state, actor, Refusal.ON_HOLD, "it is on hold; a CSM can RESUME it")
    reply = stage.reply(said.verb)
    if reply is None:
        why = f'"{said.verb}" is not one of the replies the stage "{stage.title}" takes'
        return _refuse(wf, state, actor, Refusal.NOT_EXPECTED, why, {"verb": said.verb})
    acting = actor.roles & set(stage.actors)
    if not acting:
        return _refuse(wf, state, actor, Refusal.WRONG_SENDER, _who(wf, stage))
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
        return _refuse(wf, state, actor, Refusal.ALREADY_DECIDED, "your reply is already recorded")
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
    return _enter(wf, state, reply.to, now, (decision, ack))


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
    return _enter(wf, state, back, now, (*effects, moved, notice))


def start(wf: Workflow, actor: Actor, said: Said, now: datetime, currency: str = "") -> Result:
    """Open a new CR at the workflow's first stage and apply the opening reply to it."""
    return apply(wf, CRState(stage=wf.start, entered_at=now, currency=currency), actor, said, now)


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


def expected_replies(wf: Workflow, stage_name: str) -> list[str]:
    """The replies a stage accepts, written as a person would type them."""
    stage = wf.stage(stage_name)
    if stage is None:
        return []
    out = []
    for reply in stage.replies:
        parts = [reply.verb + (" <reason>" if reply.reason else "")]
        parts += [f"{wf.fields[f].label}: <{expected(wf.fields[f])}>" for f in reply.fields]
        if reply.attachment:
            parts.append("(with the document attached)")
        out.append("  ".join(parts))
    return out


def _enter(
    wf: Workflow, state: CRState, to: str, now: datetime, effects: tuple[Effect, ...]
) -> Result:
    old = state.stage
    state = replace(state, stage=to, entered_at=now, votes=(), reminders=0, reminded_at=None)
    moved = Audit("transition", f"{wf.title_of(old)} → {wf.title_of(to)}")
    end = wf.ends.get(to)
    if end is not None:
        return Result(state, (*effects, moved, Mail(end.template, to_roles=(PARTICIPANTS,))))
    stage = wf.stage(to)
    assert stage is not None
    cc = stage.copy + tuple(r for r in wf.informed if r not in stage.copy + stage.actors)
    request = Mail(
        stage.template,
        to_roles=stage.actors,
        cc_roles=cc,
        context={"expected": expected_replies(wf, to)},
        attach=stage.attach,
    )
    return Result(state, (*effects, moved, request))


def _command(
    wf: Workflow, state: CRState, actor: Actor, said: Said, command: Command, now: datetime
) -> Result:
    """A command that works at any stage (STATUS?, HOLD, RESUME, CANCEL, CONFIRM)."""
    anyone = EVERYONE in command.roles
    if not (bool(actor.roles) if anyone else bool(actor.roles & set(command.roles))):
        titles = ", ".join(wf.roles[r].title for r in command.roles if r in wf.roles)
        return _refuse(wf, state, actor, Refusal.WRONG_SENDER, f"only {titles} may {said.verb}")
    early = _EARLY_COMMANDS.get(command.effect)
    if early is not None:
        return early(wf, state, actor)
    if wf.is_end(state.stage):
        return _refuse(wf, state, actor, Refusal.ENDED, f"it is already {wf.title_of(state.stage)}")
    if command.reason and not said.text:
        why = f"{said.verb} needs a reason after it"
        return _refuse(wf, state, actor, Refusal.MISSING_REASON, why)
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
            return _refuse(wf, state, actor, Refusal.ALREADY_DECIDED, why)
        held = replace(state, held=hold) if hold else replace(state, held=False, reminded_at=now)
        return Result(held, (audit, notice))
    assert command.to is not None
    fields = {**state.fields, "end.reason": said.text} if said.text else state.fields
    return _enter(wf, replace(state, fields=fields, held=False), command.to, now, (audit,))


def _unconfirmed(wf: Workflow, state: CRState, actor: Actor) -> Result:
    """The caller swaps a CONFIRM for the decision it confirms; one that reaches the engine
    had nothing waiting."""
    why = "there is no decision of yours waiting for confirmation at this stage"
    return _refuse(wf, state, actor, Refusal.NOT_EXPECTED, why)


def _status(wf: Workflow, state: CRState, actor: Actor) -> Result:
    asked = Audit("status", f"{actor.address} asked for the status")
    return Result(state, (asked, Mail("notice/status", to_sender=True)))


# Commands answered whatever the CR's state, even when it has ended.
_EARLY_COMMANDS: dict[str, Callable[[Workflow, CRState, Actor], Result]] = {
    "confirm": _unconfirmed,
    "status": _status,
}


def _who(wf: Workflow, stage: Stage) -> str:
    titles = " and ".join(wf.roles[r].title for r in stage.actors)
    return f"stage {stage.title!r} is decided by the {titles}"


def _refuse(
    wf: Workflow,
    state: CRState,
    actor: Actor,
    reason: Refusal,
    detail: str,
    context: Mapping[str, Any] | None = None,
) -> Result:
    mail = Mail(
        reason.template,
        to_sender=True,
        # the people who run the conversation hear of every reply that was not acted on
        cc_roles=wf.thread_owners,
        context={
            "detail": detail,
            "expected": expected_replies(wf, state.stage),
            **(context or {}),
        },
    )
    return Result(
        state,
        (Audit("refusal", f"{actor.address}: {reason}: {detail}"), mail),
        refusal=reason,
        detail=detail,
    )
