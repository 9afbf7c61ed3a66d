"""Replies in other words: "go ahead" is neither ignored nor taken as approval.

Real approvers rarely write the keyword. When a reply has no decision word but likely
means one that fits the stage, the sender is asked "we read this as APPROVED — reply
CONFIRM to record it"; their CONFIRM, under the same checks as any reply, then stands
for that decision. The question lapses when the stage moves on, and a CONFIRM counts
only as a reply to the question mail: one that names it in its thread headers, or
carries the reply token that question gave its reader.

A decision written with a remark beside it ("Approved. After the freeze.") is asked
the same way: the question quotes the remark, and a CONFIRM records the decision as
written (its fields too), the remark kept beside it (chain/remarks.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType

from sqlmodel import Session, col, select

from mailflow import decide
from mailflow.app import App
from mailflow.mail.parse import Inbound
from mailflow.security.tokens import TOKEN_RE, found_in
from mailflow.store.tables import ChangeRequest, Confirmation, OutboxRow
from mailflow.workflow.definition import Workflow
from mailflow.workflow.reasons import Question


def confirm_verbs(wf: Workflow) -> set[str]:
    return {c.verb for c in wf.commands if c.effect == "confirm"}


def likely_here(app: App, cr: ChangeRequest, text: str, roles: frozenset[str]) -> str | None:
    """The verb the text probably means, if it is a reply this sender could give here."""
    verb = decide.likely(text, app.workflow.vocabulary)
    stage = app.workflow.stage(cr.stage)
    if verb is None or stage is None or stage.reply(verb) is None:
        return None
    return verb if roles & set(stage.actors) else None


def ask(
    session: Session,
    cr: ChangeRequest,
    actor: str,
    verb: str,
    line: str,
    ledger_id: int | None,
    now: datetime,
    *,
    text: str = "",
    fields: Mapping[str, str] | None = None,
    remarks: Sequence[str] = (),
) -> Confirmation:
    """Remember the question; a later CONFIRM from the same person resolves it.

    For a decision asked about because of its remarks, `text` and `fields` are the
    decision as written and `remarks` the sentences asked about: what the CONFIRM records.
    """
    pending = Confirmation(
        cr_id=cr.id,
        stage=cr.stage,
        stage_entered_at=cr.entered_at,
        actor=actor,
        verb=verb,
        line=line[:500],
        ledger_id=ledger_id,
        asked_at=now,
        text=text,
        fields=dict(fields or {}),
        remarks=[r[:500] for r in remarks],
    )
    session.add(pending)
    return pending


def waiting(session: Session, cr: ChangeRequest, actor: str) -> Confirmation | None:
    """The newest open question to this person at the CR's current stage instance."""
    rows = session.exec(
        select(Confirmation)
        .where(Confirmation.cr_id == cr.id)
        .where(Confirmation.actor == actor)
        .where(Confirmation.stage == cr.stage)
        .where(col(Confirmation.confirmed_at).is_(None))
        .order_by(col(Confirmation.id).desc())
    ).all()
    return next((r for r in rows if _same_moment(r.stage_entered_at, cr.entered_at)), None)


def note_question(
    session: Session, pending: Confirmation, template: str = Question.LIKELY.template
) -> None:
    """Tie the question to the mail that asked it, the newest question mail to its reader."""
    rows = session.exec(
        select(OutboxRow)
        .where(OutboxRow.cr_id == pending.cr_id)
        .where(OutboxRow.template == template)
        .order_by(col(OutboxRow.id).desc())
    ).all()
    asked = next((r for r in rows if pending.actor in r.recipients), None)
    pending.question_id = asked.group_id if asked is not None else ""
    session.add(pending)


def answers_question(session: Session, pending: Confirmation, msg: Inbound, inbox: str) -> bool:
    """Whether the reply answers the question mail its sender was sent (thread or token)."""
    if not pending.question_id:
        return False
    rows = session.exec(select(OutboxRow).where(OutboxRow.group_id == pending.question_id)).all()
    asked = [r.message_id for r in rows if pending.actor in r.recipients]
    if set(asked) & {msg.in_reply_to, *msg.references}:
        return True
    tokens = {t.group(0).lower() for mid in asked for t in TOKEN_RE.finditer(mid)}
    return any(token in tokens for token, _ in found_in(msg, inbox))


def _same_moment(a: datetime, b: datetime) -> bool:
    """Compare as UTC whether or not a driver handed the zone back."""
    return a.replace(tzinfo=a.tzinfo or UTC) == b.replace(tzinfo=b.tzinfo or UTC)


def as_decision(wf: Workflow, pending: Confirmation, confirm: decide.Decision) -> decide.Decision:
    """The CONFIRM stands for the decision asked about; the words read are its reason.

    A decision asked about for its remarks is recorded as it was written: its text and
    its fields (a DONE keeps its Effort).
    """
    if pending.remarks:
        fields = MappingProxyType({str(k): str(v) for k, v in pending.fields.items()})
        return decide.Decision(pending.verb, pending.text, fields, confirm.line)
    spec = wf.verb(pending.verb)
    text = pending.line if spec is not None and spec.takes_text else ""
    return decide.Decision(pending.verb, text, {}, confirm.line)
