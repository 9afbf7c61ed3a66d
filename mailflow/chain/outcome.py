"""What became of one inbound message (Handled), and the plain answer to its sender.

The ledger row itself is written in one place, mailflow.chain.walk (DESIGN invariant 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from mailflow.app import App
from mailflow.chain.post import queue_mail
from mailflow.mail.parse import Inbound
from mailflow.store.ledger import LedgerOutcome
from mailflow.store.tables import ChangeRequest
from mailflow.workflow import engine


@dataclass(frozen=True)
class Handled:
    """The outcome of one message: the ledger's word and where the source should file it."""

    outcome: LedgerOutcome
    reason: str
    cr_id: str | None = None
    duplicate: bool = False

    @property
    def folder(self) -> str:
        return "quarantine" if self.outcome == LedgerOutcome.QUARANTINED else "processed"


def tell_sender(
    app: App,
    session: Session,
    msg: Inbound,
    template: str,
    now: datetime,
    cr: ChangeRequest | None = None,
    placeholder_id: str | None = None,
    held: str = "",
    **context: str,
) -> None:
    """Queue one explanation to the sender, threaded on their message (unless `held`)."""
    queue_mail(
        app,
        session,
        cr,
        engine.Mail(template, to_sender=True),
        now=now,
        reply_to=msg,
        context={"sender": msg.from_addr, "quoted": "", "expected": [], **context},
        placeholder={"id": placeholder_id or "", "title": msg.subject[:200]},
        held=held,
    )
