"""The answers a refused message gets, and the records it leaves: none of them leak.

A stranger (no role on the CR) gets at most one short answer a day per address, the
same whether or not the CR they name exists, so the desk cannot be used to probe for
CRs. A known participant whose reply is not proven gets an explanation of how to reply
so that it is; a message over a size limit gets told which limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.chain import stranger_note
from mailflow.chain.outcome import tell_sender
from mailflow.chain.results import write_result
from mailflow.chain.timeline import audit
from mailflow.mail.parse import Inbound
from mailflow.store.cr_state import state_of
from mailflow.store.ledger import LedgerOutcome
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.tables import ChangeRequest
from mailflow.workflow import engine
from mailflow.workflow.reasons import Question, Refusal

STRANGER_REASONS = ("no_cr", Refusal.NOT_AUTHORIZED.value)
STRANGER_ANSWER_INTERVAL = timedelta(days=1)


def answered_today(session: Session, sender: str, now: datetime) -> bool:
    """Whether this address already had its one stranger answer in the last day."""
    return (
        session.exec(
            select(LedgerEntry.id)
            .where(LedgerEntry.sender == sender)
            .where(col(LedgerEntry.reason).in_(STRANGER_REASONS))
            .where(col(LedgerEntry.received_at) >= now - STRANGER_ANSWER_INTERVAL)
            .limit(1)
        ).first()
        is not None
    )


def stranger_outcome(session: Session, msg: Inbound, now: datetime) -> tuple[LedgerOutcome, str]:
    """Answered once a day per address; ignored when already answered or unanswerable."""
    if not msg.from_addr:
        return LedgerOutcome.IGNORED, "not_authorized: no sender address to answer"
    if answered_today(session, msg.from_addr, now):
        return LedgerOutcome.IGNORED, "not_authorized: already answered today"
    return LedgerOutcome.ANSWERED, Refusal.NOT_AUTHORIZED.value


def tell_stranger(
    app: App,
    session: Session,
    msg: Inbound,
    cr: ChangeRequest | None,
    ledger_id: int | None,
    detail: str,
    now: datetime,
    *,
    answer: bool,
    held: str = "",
) -> None:
    """Record the refusal on the CR (if any); the answer says nothing about any CR."""
    if cr is not None:
        audit(
            session,
            cr,
            "refusal",
            f"{msg.from_addr or '(no sender)'}: not_authorized: {detail}",
            now,
            actor=msg.from_addr,
            ledger_id=ledger_id,
        )
    if answer:
        tell_sender(app, session, msg, Refusal.NOT_AUTHORIZED.template, now, held=held)
    if cr is not None:  # answered now or earlier today: the CSM hears of it apart
        stranger_note.tell_csm(app, session, msg, cr, now)


def refuse(
    app: App,
    session: Session,
    msg: Inbound,
    cr: ChangeRequest,
    ledger_id: int | None,
    code: Refusal | Question,
    detail: str,
    now: datetime,
    quoted: str = "",
    kind: str = "refusal",
    context: Mapping[str, Any] | None = None,
    held: str = "",
) -> None:
    """A participant's reply that is not acted on: recorded, explained, the CR unchanged;
    with `held`, the explanation is noted on the timeline instead of sent (answer_cap.py)."""
    result = engine.Result(
        state_of(cr, ""),
        (
            engine.Audit(kind, f"{msg.from_addr}: {code}: {detail}"),
            engine.Mail(
                code.template,
                to_sender=True,
                cc_roles=app.workflow.thread_owners,
                context={"detail": detail, **(context or {})},
            ),
        ),
        refusal=code,
    )
    write_result(
        app,
        session,
        cr,
        result,
        now=now,
        actor=msg.from_addr,
        ledger_id=ledger_id,
        reply_to=msg,
        context={"sender": msg.from_addr, "quoted": quoted},
        held=held,
    )


def refused(code: Refusal, detail: str) -> str:
    """The ledger's reason for a refused reply."""
    return f"refused: {code}: {detail}"


def too_large_outcome(
    app: App, session: Session, msg: Inbound, detail: str, now: datetime
) -> tuple[LedgerOutcome, str]:
    """An over-limit message is answered (never dropped silently); a stranger as a stranger."""
    if app.settings.person(msg.from_addr) is None:
        return stranger_outcome(session, msg, now)
    return LedgerOutcome.ANSWERED, f"too_large: {detail}"


def tell_too_large(
    app: App,
    session: Session,
    msg: Inbound,
    cr: ChangeRequest | None,
    ledger_id: int | None,
    detail: str,
    now: datetime,
    *,
    answer: bool,
    held: str = "",
) -> None:
    """Say which limit was broken; a stranger gets the one daily stranger answer instead."""
    if app.settings.person(msg.from_addr) is None:
        why = f"too_large: {detail}"
        tell_stranger(app, session, msg, cr, ledger_id, why, now, answer=answer, held=held)
        return
    if cr is not None:
        audit(
            session,
            cr,
            "refusal",
            f"{msg.from_addr}: too_large: {detail}",
            now,
            actor=msg.from_addr,
            ledger_id=ledger_id,
        )
    if msg.from_addr:
        tell_sender(app, session, msg, Refusal.TOO_LARGE.template, now, cr=cr, held=held,
                    detail=detail)  # fmt: skip
