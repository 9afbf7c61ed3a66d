"""The answers a refused message gets, and the records it leaves: none of them leak.

A stranger (no role on the CR) gets at most one short answer a day per address, the
same whether or not the CR they name exists, so the desk cannot be used to probe for
CRs. A known participant whose reply is not proven gets an explanation of how to reply
so that it is; a message over a size limit gets told which limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.effects import audit, carry_out, state_of
from mailflow.mail.parse import Inbound
from mailflow.outcome import tell_sender
from mailflow.store import ledger
from mailflow.store.tables import ChangeRequest, LedgerEntry
from mailflow.workflow import engine

STRANGER_REASONS = ("no_cr", "not_authorized")
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


def stranger(
    app: App,
    session: Session,
    msg: Inbound,
    cr: ChangeRequest | None,
    entry: LedgerEntry,
    detail: str,
    now: datetime,
) -> tuple[str, str]:
    """Record the refusal on the CR (if any); answer once a day with nothing about any CR."""
    if cr is not None:
        audit(
            session,
            cr,
            "refusal",
            f"{msg.from_addr or '(no sender)'}: not_authorized: {detail}",
            now,
            actor=msg.from_addr,
            ledger_id=entry.id,
        )
    if not msg.from_addr or answered_today(session, msg.from_addr, now):
        entry.outcome, entry.reason = ledger.IGNORED, "not_authorized: already answered today"
        if not msg.from_addr:
            entry.reason = "not_authorized: no sender address to answer"
        session.add(entry)
        return entry.outcome, entry.reason
    entry.outcome, entry.reason = ledger.ANSWERED, "not_authorized"
    session.add(entry)
    session.flush()
    tell_sender(app, session, msg, "explain/not_authorized", now)
    return entry.outcome, entry.reason


def refuse(
    app: App,
    session: Session,
    msg: Inbound,
    cr: ChangeRequest,
    entry: LedgerEntry,
    code: str,
    detail: str,
    now: datetime,
    template: str = "explain/not_verified",
    quoted: str = "",
    kind: str = "refusal",
    context: dict[str, str] | None = None,
) -> tuple[str, str]:
    """A participant's reply that is not acted on: recorded, explained, the CR unchanged."""
    result = engine.Result(
        state_of(cr, ""),
        (
            engine.Audit(kind, f"{msg.from_addr}: {code}: {detail}"),
            engine.Mail(template, to_sender=True, context={"detail": detail, **(context or {})}),
        ),
        refusal=code,
    )
    carry_out(
        app,
        session,
        cr,
        result,
        now=now,
        actor=msg.from_addr,
        ledger_id=entry.id,
        reply_to=msg,
        context={"sender": msg.from_addr, "quoted": quoted},
    )
    entry.outcome, entry.reason = ledger.ANSWERED, f"refused: {code}: {detail}"
    session.add(entry)
    return entry.outcome, entry.reason


def too_large(
    app: App,
    session: Session,
    msg: Inbound,
    cr: ChangeRequest | None,
    entry: LedgerEntry,
    detail: str,
    now: datetime,
) -> tuple[str, str]:
    """An over-limit message is answered (never dropped silently) and recorded.

    A stranger gets the one daily stranger answer instead: nothing about any CR.
    """
    if app.settings.person(msg.from_addr) is None:
        return stranger(app, session, msg, cr, entry, f"too_large: {detail}", now)
    if cr is not None:
        audit(
            session,
            cr,
            "refusal",
            f"{msg.from_addr}: too_large: {detail}",
            now,
            actor=msg.from_addr,
            ledger_id=entry.id,
        )
    entry.outcome, entry.reason = ledger.ANSWERED, f"too_large: {detail}"
    session.add(entry)
    if msg.from_addr:
        tell_sender(app, session, msg, "explain/too_large", now, cr=cr, detail=detail)
    return entry.outcome, entry.reason
