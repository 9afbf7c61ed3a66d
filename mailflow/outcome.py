"""What became of one inbound message: the ledger row, the Handled value, a plain answer.

Shared by the pipeline and the steps it calls (replies, intake), so that every path
records its outcome the same way (DESIGN invariant 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from mailflow.app import App
from mailflow.effects import queue_mail
from mailflow.mail.parse import Inbound
from mailflow.store import ledger
from mailflow.store.tables import ChangeRequest, LedgerEntry
from mailflow.transport.base import RawMessage
from mailflow.workflow import engine


@dataclass(frozen=True)
class Handled:
    """The outcome of one message: the ledger's word and where the source should file it."""

    outcome: str
    reason: str
    cr_id: str | None = None
    duplicate: bool = False

    @property
    def folder(self) -> str:
        return "quarantine" if self.outcome == ledger.QUARANTINED else "processed"


def record(
    session: Session,
    raw: RawMessage,
    msg: Inbound,
    now: datetime,
    outcome: str,
    reason: str,
    cr_id: str | None = None,
    keep_raw: bool = True,
) -> LedgerEntry:
    return ledger.record(
        session,
        content_hash=msg.content_hash,
        outcome=outcome,
        reason=reason,
        message_id=msg.message_id,
        source_key=raw.key,
        sender=msg.from_addr,
        subject=msg.subject,
        cr_id=cr_id,
        raw=raw.data if keep_raw else None,
        at=now,
    )


def answer(
    app: App,
    session: Session,
    raw: RawMessage,
    msg: Inbound,
    now: datetime,
    template: str,
    reason: str,
    placeholder_id: str | None = None,
) -> Handled:
    """Record the message as answered and tell its sender why, outside any CR."""
    record(session, raw, msg, now, ledger.ANSWERED, reason)
    tell_sender(app, session, msg, template, now, placeholder_id=placeholder_id, detail=reason)
    return Handled(ledger.ANSWERED, reason)


def tell_sender(
    app: App,
    session: Session,
    msg: Inbound,
    template: str,
    now: datetime,
    cr: ChangeRequest | None = None,
    placeholder_id: str | None = None,
    **context: str,
) -> None:
    """Queue one explanation to the sender, threaded on their message."""
    queue_mail(
        app,
        session,
        cr,
        engine.Mail(template, to_sender=True),
        now=now,
        reply_to=msg,
        context={"sender": msg.from_addr, "quoted": "", "expected": [], **context},
        placeholder={"id": placeholder_id or "", "title": msg.subject[:200]},
    )
