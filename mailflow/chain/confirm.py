"""Replies in other words: "go ahead" is neither ignored nor taken as approval.

Real approvers rarely write the keyword. When a reply has no decision word but likely
means one that fits the stage, the sender is asked "we read this as APPROVED — reply
CONFIRM to record it"; their CONFIRM, under the same checks as any reply, then stands
for that decision. The question lapses when the stage moves on, and a CONFIRM counts
only as a reply to the question mail: one that names it in its thread headers, or
carries the reply token that question gave its reader.

The asked person may also answer the question with a plain yes: "Yes", "OK, thanks",
"That's right" (the closed list PLAIN_YES). Such a yes stands for CONFIRM only under the
same checks (the question waiting for this person at this stage, the reply answering its
mail), and only when its line holds nothing but the yes and greetings or names; anything
more stays a question. Everywhere else a "Yes" is read as it always was.

A decision written with a remark beside it ("Approved. After the freeze.") is asked
the same way: the question quotes the remark, and a CONFIRM records the decision as
written (its fields too), the remark kept beside it (chain/remarks.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.mail.parse import Inbound
from mailflow.reading import decide
from mailflow.reading.likely import likely
from mailflow.reading.normalize import LINE_CAP, normalize_line
from mailflow.reading.tokens import Kind, phrase_words, pieces
from mailflow.security.tokens import TOKEN_RE, found_in
from mailflow.store.message_tables import OutboxRow
from mailflow.store.tables import ChangeRequest, Confirmation
from mailflow.workflow.definition import Workflow
from mailflow.workflow.reasons import Question


def confirm_verbs(wf: Workflow) -> set[str]:
    return {c.verb for c in wf.commands if c.effect == "confirm"}


# The plain yeses that answer a "please confirm" as CONFIRM does, besides CONFIRM's own
# phrases ("Confirmed"). Quiet punctuation and greetings around them do not matter
# ("Yes.", "OK, thanks"). They are not in the workflow file's phrase lists on purpose:
# a verb's "likely" words are read in every reply, and there "Correct" or "That's right"
# would agree with any approval ("Approved, that's right" recorded instead of asked back).
PLAIN_YES = ("yes", "yes please", "ok", "okay", "correct", "that's right")


def yes_reader(wf: Workflow) -> Workflow:
    """The workflow as read for an answer to a question asked: the plain yeses are
    CONFIRM's own phrases, and no other verb's words."""
    verbs = confirm_verbs(wf)
    yes = {phrase_words(p) for p in PLAIN_YES}

    def other(words: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(p for p in words if phrase_words(p) not in yes)

    specs = tuple(
        replace(v, phrases=v.phrases + PLAIN_YES)
        if v.verb in verbs
        else replace(v, phrases=other(v.phrases), likely=other(v.likely))
        for v in wf.vocabulary.verbs
    )
    return replace(wf, vocabulary=replace(wf.vocabulary, verbs=specs))


def plain_yes(reader: Workflow, read: decide.Decision) -> bool:
    """Whether a reply read by `yes_reader` is a plain yes: its line holds one of CONFIRM's
    phrases and otherwise only greetings and names ("Yes, thanks", "OK Priya")."""
    verbs = confirm_verbs(reader)
    if read.verb not in verbs or read.fields or read.text:
        return False
    parts = pieces(normalize_line((read.normalized or read.line)[:LINE_CAP]), reader.vocabulary)
    said = [p for p in parts if p.kind is Kind.VERB]
    if len(said) != 1 or said[0].spec is None or said[0].spec.verb not in verbs:
        return False
    return all(p.kind in (Kind.VERB, Kind.GREETING, Kind.NAME) for p in parts)


def likely_here(app: App, cr: ChangeRequest, text: str, roles: frozenset[str]) -> str | None:
    """The verb the text probably means, if it is a reply this sender could give here."""
    verb = likely(text, app.workflow.vocabulary)
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
