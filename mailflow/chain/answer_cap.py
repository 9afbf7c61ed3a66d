"""Explanations to one address are bounded per CR per UTC day, and a repeat is not answered.

An auto-responder that sets no auto-reply header, or a person's mail rule, would otherwise
get an explanation for every mail it sends, and answer each one again: a loop only the
hourly sending limit caps. So an explanatory answer (a refusal or a question back, ledger
outcome "answered") is given at most `[security] max_answers_per_cr_per_day` times a day
to one sender on one CR; the next message gets one last note saying that further mail
today goes unanswered, copied to the CSM; later ones that day are recorded (ignored,
with the reason) and not answered. A message whose new text is the same as one already
answered today, from the same sender on the same CR, is recorded and not answered again,
as long as the CR stands where it stood then: at the same stage, entered at the same
moment. Once the CR has moved, the same words may need another answer (a stale
"Approved" refused at one stage, sent again when it is asked for), so they get one.

Applied to the ruling of the rule table (chain/walk.py) before it is recorded, so every
rule's answer is counted alike and the row is written once with the final outcome; mail
that is acted on is never held back. What is compared is kept in the database: each
answer's row carries the digest of its new text (`text_digest`), so nothing is parsed
twice and nothing is forgotten on a restart. Rows from before that column are read
from their bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import UTC, datetime, time

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from mailflow.chain.context import Context, Ruling
from mailflow.chain.post import queue_mail
from mailflow.chain.timeline import audit
from mailflow.mail import reply_text
from mailflow.mail.parse import parse
from mailflow.store import ledger
from mailflow.store.ledger import LedgerOutcome
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.tables import AuditEvent, ChangeRequest
from mailflow.workflow.engine_values import Mail

LIMIT = "answer_limit"
REPEAT = "repeat"
NOTE = "notice/answer_limit"
CSM_NOTE = "notice/answer_limit_csm"
_SPACE = re.compile(r"\s+")


def capped(ctx: Context, ruling: Ruling) -> Ruling:
    """The ruling as it stands, or, past the day's answers or for a repeat, one that is not
    answered (the last note at the limit itself); an answer carries its text's digest."""
    sender, cr = ctx.msg.from_addr, ctx.cr
    if ruling.outcome != LedgerOutcome.ANSWERED or not ruling.record or not sender or cr is None:
        return ruling
    # A row whose bytes are not kept (over a size limit) was never compared: nor is it now.
    digest = text_digest(ctx.msg.text) if ruling.keep_raw else ""
    earlier = answered_today(ctx.session, sender, cr.id, ctx.now)
    for entry_id, seen, answered_at in earlier:
        if digest in ("", _EMPTY) or seen != digest:
            continue
        if _still_there(ctx.session, cr, entry_id, answered_at):
            why = f"{REPEAT}: the same text as ledger entry {entry_id}, answered today"
            return _quiet(ruling, cr, sender, f"{why}; not answered again")
    limit = ctx.app.settings.security.max_answers_per_cr_per_day
    if len(earlier) < limit:
        return dataclasses.replace(ruling, text_digest=digest)
    if len(earlier) > limit:
        why = f"{LIMIT}: {limit} answers and the last note went to {sender} today"
        return _quiet(ruling, cr, sender, f"{why}; not answered")
    return _last_note(ruling, cr, limit, digest)


# Plain values, not table objects: this runs for every answer.
_ANSWERED_TODAY = (
    core_select(ledger.TABLE.c.id, ledger.TABLE.c.text_digest, ledger.TABLE.c.received_at)
    .where(ledger.TABLE.c.cr_id == bindparam("cr_id"))
    .where(ledger.TABLE.c.sender == bindparam("sender"))
    .where(ledger.TABLE.c.outcome == LedgerOutcome.ANSWERED.value)
    .where(ledger.TABLE.c.received_at >= bindparam("midnight"))
    .order_by(ledger.TABLE.c.id)
)


def answered_today(
    session: Session, sender: str, cr_id: str, now: datetime
) -> list[tuple[int, str, datetime]]:
    """The answered messages from this sender on this CR since the UTC day began: ledger
    id, the digest of the new text, and when each was answered."""
    midnight = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    rows = session.connection().execute(
        _ANSWERED_TODAY, {"cr_id": cr_id, "sender": sender, "midnight": midnight}
    )
    return [(int(i or 0), seen or _digest_of_entry(session, i), at) for i, seen, at in rows]


def text_digest(text: str) -> str:
    """What a message's text is compared as: its new text, with case and spacing ignored."""
    same = _SPACE.sub(" ", reply_text.new_text(text)).strip().casefold()
    return hashlib.sha256(same.encode()).hexdigest()


_EMPTY = hashlib.sha256(b"").hexdigest()


def _digest_of_entry(session: Session, entry_id: int | None) -> str:
    """The digest of an answer recorded before rows kept it: read from its bytes."""
    raw = session.exec(select(LedgerEntry.raw).where(LedgerEntry.id == entry_id)).first()
    return text_digest(parse(raw).text) if raw else ""


def _still_there(session: Session, cr: ChangeRequest, entry_id: int, answered_at: datetime) -> bool:
    """Whether the CR is at the same stage instance as when ledger entry `entry_id` was
    answered at `answered_at`: its current stage was entered before that answer.

    The ledger row keeps when the message was handled, and the CR when it entered its
    stage; a stage instance is its entry moment, so nothing more needs storing. When the
    two moments are equal (a clock that did not move between them), the timeline's order
    says which came first: the move's own message, or the move's event, against the answer.
    """
    entered, answered = _utc(cr.entered_at), _utc(answered_at)
    if entered != answered:
        return entered < answered
    moved = session.exec(
        select(AuditEvent.id, AuditEvent.ledger_id)
        .where(AuditEvent.cr_id == cr.id)
        .where(AuditEvent.kind == "transition")
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    if moved is None:
        return True  # never moved since it was opened
    move_id, move_ledger = moved
    if move_ledger is not None:
        return int(move_ledger) < entry_id
    own = session.exec(
        select(func.min(AuditEvent.id)).where(AuditEvent.ledger_id == entry_id)
    ).one()
    return own is not None and int(move_id or 0) < int(own)


def _utc(moment: datetime) -> datetime:
    """Compare as UTC whether or not a driver handed the zone back."""
    return moment.replace(tzinfo=moment.tzinfo or UTC)


def _quiet(ruling: Ruling, cr: ChangeRequest, sender: str, reason: str) -> Ruling:
    """Handled as the rule said (its refusal and evidence recorded) with its answer held
    back; the ledger says why it was not answered."""

    def note(ctx: Context, ledger_id: int | None) -> None:
        if ruling.act is not None:
            ruling.act(dataclasses.replace(ctx, held=reason), ledger_id)
        audit(ctx.session, cr, "unanswered", f"{sender}: {reason}", ctx.now,
              actor=sender, ledger_id=ledger_id)  # fmt: skip

    return Ruling(LedgerOutcome.IGNORED, f"{reason} (would have been: {ruling.reason})",
                  cr.id, note, ruling.keep_raw)  # fmt: skip


def _last_note(ruling: Ruling, cr: ChangeRequest, limit: int, digest: str) -> Ruling:
    """The one note that further mail today goes unanswered; the CSM hears of it apart."""

    def tell(ctx: Context, ledger_id: int | None) -> None:
        sender, session, now = ctx.msg.from_addr, ctx.session, ctx.now
        audit(session, cr, "unanswered", f"{sender}: {LIMIT}: {limit} answers today; "
              "told that further mail today goes unanswered", now, actor=sender,
              ledger_id=ledger_id)  # fmt: skip
        context = {"sender": sender, "limit": str(limit), "quoted": "", "expected": []}
        queue_mail(ctx.app, session, cr, Mail(NOTE, to_sender=True), now=now,
                   reply_to=ctx.msg, context=context)  # fmt: skip
        owners = ctx.app.workflow.thread_owners
        if owners:
            queue_mail(ctx.app, session, cr, Mail(CSM_NOTE, to_roles=owners), now=now,
                       context=context)  # fmt: skip

    reason = f"{LIMIT}: the last note of the day (after {limit} answers; was: {ruling.reason})"
    return Ruling(LedgerOutcome.ANSWERED, reason, cr.id, tell, ruling.keep_raw, text_digest=digest)
