"""One inbound message through the rule table (mailflow.chain.table), in one transaction.

Each message is handled in one transaction that also writes its ledger row, so it is
applied exactly once or not at all; anything that raises is rolled back and the message
is quarantined with the error recorded, in a transaction of its own.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from mailflow.app import App
from mailflow.chain.context import Context
from mailflow.chain.table import RULES
from mailflow.chain.walk import walk, write_outcome
from mailflow.errors import ParseError
from mailflow.mail.parse import Inbound, parse
from mailflow.outcome import Handled
from mailflow.store import ledger
from mailflow.store.ledger import LedgerOutcome
from mailflow.transport.base import RawMessage

log = logging.getLogger(__name__)
__all__ = ["Handled", "handle"]


def handle(app: App, raw: RawMessage, now: datetime) -> Handled:
    """Handle one message; never raises for anything the message contains."""
    try:
        msg = parse(raw.data)
    except ParseError as exc:
        return _quarantine(app, raw, None, f"unreadable: {exc}")
    try:
        with app.db.transaction() as session:
            return walk(Context(app, session, raw, msg, now), RULES)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop the daemon
        log.exception("message %s failed; quarantined", msg.message_id or raw.key)
        return _quarantine(app, raw, msg, f"error while handling: {type(exc).__name__}: {exc}")


def _quarantine(app: App, raw: RawMessage, msg: Inbound | None, reason: str) -> Handled:
    digest = msg.content_hash if msg else hashlib.sha256(raw.data).hexdigest()
    with app.db.transaction() as session:
        if ledger.find(session, digest) is None:
            outcome = LedgerOutcome.QUARANTINED
            write_outcome(session, raw, msg, outcome, reason, content_hash=digest)
    return Handled(LedgerOutcome.QUARANTINED, reason)
