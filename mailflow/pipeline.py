"""One inbound message through parse → route → authorize → decide → transition → outbox.

Each message is handled in one transaction that also writes its ledger row, so it is
applied exactly once or not at all; anything that raises is rolled back and the message
is quarantined with the error recorded, in a transaction of its own.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from sqlmodel import Session

from mailflow import bounces, intake, jira_intake
from mailflow.app import App
from mailflow.effects import audit
from mailflow.errors import ParseError
from mailflow.mail import automated
from mailflow.mail.parse import Inbound, parse
from mailflow.outcome import Handled, answer, record
from mailflow.reply import handle_reply
from mailflow.route import route
from mailflow.security import answers, limits
from mailflow.store import ledger
from mailflow.store.tables import ChangeRequest
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
            return _handle(app, session, raw, msg, now)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop the daemon
        log.exception("message %s failed; quarantined", msg.message_id or raw.key)
        return _quarantine(app, raw, msg, f"error while handling: {type(exc).__name__}: {exc}")


def _handle(app: App, session: Session, raw: RawMessage, msg: Inbound, now: datetime) -> Handled:
    seen = ledger.find(session, msg.content_hash, msg.message_id)
    if seen is not None:
        if seen.content_hash != msg.content_hash:
            record(
                session,
                raw,
                msg,
                now,
                ledger.IGNORED,
                f"duplicate of ledger entry {seen.id}",
                seen.cr_id,
            )
        return Handled(ledger.IGNORED, "duplicate", seen.cr_id, duplicate=True)
    found = route(session, msg)
    cr = session.get(ChangeRequest, found.cr_id) if found.cr_id else None
    if found.kind == "new" and jira_intake.is_jira(app, msg):
        return jira_intake.handle(app, session, raw, msg, now)
    kind = automated.classify(msg, app.settings.own_addresses())
    if kind is not None:
        entry = record(
            session,
            raw,
            msg,
            now,
            ledger.IGNORED,
            f"{kind.kind}: {kind.reason}",
            cr.id if cr else None,
        )
        bounced = (
            bounces.record(session, msg, kind.reason, entry.id, now)
            if (kind.kind == "bounce")
            else []
        )
        if cr is not None and cr.id not in bounced:
            audit(
                session,
                cr,
                kind.kind,
                f"{msg.from_addr}: {msg.subject[:120]} ({kind.reason}); not read as a reply",
                now,
                actor=msg.from_addr,
                ledger_id=entry.id,
            )
        entry.cr_id = entry.cr_id or (bounced[0] if bounced else None)
        return Handled(ledger.IGNORED, kind.kind, entry.cr_id)
    breach = limits.breach(msg, app.settings.limits)
    if breach is not None:
        entry = record(session, raw, msg, now, ledger.ANSWERED, "", cr.id if cr else None, False)
        outcome, reason = answers.too_large(app, session, msg, cr, entry, breach, now)
        return Handled(outcome, reason, cr.id if cr else None)
    if found.kind == "unknown_cr" and app.settings.person(msg.from_addr) is None:
        # The same answer as on an existing CR: a stranger cannot probe which CRs exist.
        entry = record(session, raw, msg, now, ledger.ANSWERED, "")
        outcome, reason = answers.stranger(app, session, msg, None, entry, "", now)
        return Handled(outcome, reason)
    if found.kind == "unknown_cr":
        return answer(
            app,
            session,
            raw,
            msg,
            now,
            "explain/unknown_cr",
            f"no change request {found.cr_id} exists",
            placeholder_id=found.cr_id,
        )
    if cr is None:
        return intake.from_mail(app, session, raw, msg, now)
    return handle_reply(app, session, raw, msg, cr, now)


def _quarantine(app: App, raw: RawMessage, msg: Inbound | None, reason: str) -> Handled:
    digest = msg.content_hash if msg else hashlib.sha256(raw.data).hexdigest()
    with app.db.transaction() as session:
        if ledger.find(session, digest) is None:
            ledger.record(
                session,
                content_hash=digest,
                outcome=ledger.QUARANTINED,
                reason=reason,
                message_id=msg.message_id if msg else "",
                source_key=raw.key,
                sender=msg.from_addr if msg else "",
                subject=msg.subject if msg else "",
                raw=raw.data,
            )
    return Handled(ledger.QUARANTINED, reason)
