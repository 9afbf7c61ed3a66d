"""The two ways a workflow step ends: the CR enters a stage (its request goes out to the
stage's actors), or the reply is refused (the sender is told why and what the stage takes).

Apart from the engine because replies at a stage (engine.py) and commands at any stage
(commands.py) both end in one of these, and neither should import the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from mailflow.workflow.definition import PARTICIPANTS, Workflow
from mailflow.workflow.engine_values import Actor, Audit, CRState, Effect, Mail, Result
from mailflow.workflow.fields import expected
from mailflow.workflow.reasons import Refusal


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


def enter(
    wf: Workflow, state: CRState, to: str, now: datetime, effects: tuple[Effect, ...]
) -> Result:
    """Move the CR to `to`: a fresh stage (no votes, no reminders yet) and its request."""
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


def refuse(
    wf: Workflow,
    state: CRState,
    actor: Actor,
    reason: Refusal,
    detail: str,
    context: Mapping[str, Any] | None = None,
) -> Result:
    """Refuse the reply: the state is unchanged, the sender told why (the CSM copied)."""
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
