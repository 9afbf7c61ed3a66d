"""The note to a CR's CSM when someone outside the CR writes about it.

The stranger's own answer names no one and says nothing about the CR (answers.py); the
CSM, who may know the sender, gets this separate short note instead: who wrote, that
nothing was recorded, and that they were told to go through their Customer Success
Manager. At most one note per CR and sender per UTC day (store/sent_once.py), however
often the stranger writes.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from mailflow.app import App
from mailflow.chain.post import queue_mail
from mailflow.mail.parse import Inbound
from mailflow.store.sent_once import OnceKind, claim, day_of
from mailflow.store.tables import ChangeRequest
from mailflow.workflow.engine_values import Mail

TEMPLATE = "notice/stranger_note"


def tell_csm(app: App, session: Session, msg: Inbound, cr: ChangeRequest, now: datetime) -> bool:
    """Queue the note to the CR's thread owners unless one went today; True when queued."""
    owners = app.workflow.thread_owners
    if not msg.from_addr or not owners:
        return False
    if not claim(session, OnceKind.STRANGER_NOTE, f"{cr.id} {msg.from_addr}", day_of(now), now):
        return False
    mail = Mail(TEMPLATE, to_roles=owners)
    context = {"sender": msg.from_addr}
    return queue_mail(app, session, cr, mail, now=now, context=context) is not None
