"""Tie an inbound message to its CR: the [CR-…] subject token first, then the thread headers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import Session

from mailflow.mail.parse import Inbound
from mailflow.store import ledger, outbox
from mailflow.store.tables import ChangeRequest

TOKEN = re.compile(r"\[(CR-\d{4}-\d{3,6})\]", re.IGNORECASE)


class RouteKind(StrEnum):
    """Where a message belongs: an existing CR, a token naming no CR, or no CR at all."""

    CR = "cr"
    UNKNOWN_CR = "unknown_cr"
    NEW = "new"


@dataclass(frozen=True)
class Route:
    """The kind of place a message belongs, the CR it names, and how that was found."""

    kind: RouteKind
    cr_id: str | None = None
    how: str = ""
    # The CR's row when finding it read it, so the rules after need not read it again.
    cr: ChangeRequest | None = field(default=None, compare=False, repr=False)


def token_in(subject: str) -> str | None:
    match = TOKEN.search(subject or "")
    return match.group(1).upper() if match else None


def route(session: Session, msg: Inbound) -> Route:
    token = token_in(msg.subject)
    if token:
        cr = session.get(ChangeRequest, token)
        if cr is not None:
            return Route(RouteKind.CR, token, "subject token", cr)
        return Route(RouteKind.UNKNOWN_CR, token, "subject token")
    thread = [i for i in (msg.in_reply_to, *reversed(msg.references)) if i]
    cr_id = outbox.cr_of_message_ids(session, thread) or ledger.cr_of_message_ids(session, thread)
    if cr_id:
        return Route(RouteKind.CR, cr_id, "thread headers")
    return Route(RouteKind.NEW)
