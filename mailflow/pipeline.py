"""One inbound message through parse → route → authorize → decide → transition → outbox.

Each message is handled in one transaction that also writes its ledger row, so it is
applied exactly once or not at all; anything that raises is rolled back and the message
is quarantined with the error recorded, in a transaction of its own.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from mailflow import authorize, bounces, confirm, decide, intake
from mailflow.app import App
from mailflow.effects import audit, carry_out, queue_mail, state_of
from mailflow.errors import ParseError
from mailflow.mail import automated, reply_text
from mailflow.mail.parse import Inbound, parse
from mailflow.reading import read_reply
from mailflow.route import route
from mailflow.security import answers, evidence, forwarded, limits, policy
from mailflow.store import ledger
from mailflow.store.attachments import is_tnef, store_attachments
from mailflow.store.tables import ChangeRequest, LedgerEntry
from mailflow.transport.base import RawMessage
from mailflow.workflow import engine

log = logging.getLogger(__name__)


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
            _record(
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
    kind = automated.classify(msg, app.settings.own_addresses())
    if kind is not None:
        entry = _record(
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
        entry = _record(session, raw, msg, now, ledger.ANSWERED, "", cr.id if cr else None, False)
        outcome, reason = answers.too_large(app, session, msg, cr, entry, breach, now)
        return Handled(outcome, reason, cr.id if cr else None)
    if found.kind == "unknown_cr" and app.settings.person(msg.from_addr) is None:
        # The same answer as on an existing CR: a stranger cannot probe which CRs exist.
        entry = _record(session, raw, msg, now, ledger.ANSWERED, "")
        outcome, reason = answers.stranger(app, session, msg, None, entry, "", now)
        return Handled(outcome, reason)
    if found.kind == "unknown_cr":
        return _answer(
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
        return _new_request(app, session, raw, msg, now)
    return _reply(app, session, raw, msg, cr, now)


def _reply(
    app: App, session: Session, raw: RawMessage, msg: Inbound, cr: ChangeRequest, now: datetime
) -> Handled:
    roles = app.directory.roles_of(msg.from_addr, cr.account, cr.assignee)
    check = authorize.check(app, msg, roles)
    entry = _record(session, raw, msg, now, ledger.ANSWERED, "", cr.id)
    if not check.allowed:
        outcome, reason = answers.stranger(app, session, msg, cr, entry, check.reason, now)
        return Handled(outcome, reason, cr.id)
    text = reply_text.new_text(msg.text)
    read = read_reply(app, cr.stage, text)
    pending = None
    if isinstance(read, decide.Decision) and read.verb in confirm.confirm_verbs(app.workflow):
        pending = confirm.waiting(session, cr, msg.from_addr)
        if pending is not None:
            read = confirm.as_decision(app.workflow, pending, read)
    author, proof, attested_by = msg.from_addr, msg, ""
    verb = getattr(read, "verb", "")
    acting = policy.acting_roles(app, cr, roles, verb) if verb else frozenset()
    fwd = forwarded.decision_in(msg, lambda text: read_reply(app, cr.stage, text), bool(acting))
    if fwd is not None:
        forward, read = fwd  # type: ignore[assignment]
        accept = app.settings.security.accept_forwarded
        if not accept or forward.original is None:
            why = forwarded.refusal(forward, msg.from_addr, accept)
            outcome, reason = answers.refuse(app, session, msg, cr, entry, "forwarded", why, now)
            return Handled(outcome, reason, cr.id)
        author, proof, attested_by = forward.author, forward.original, msg.from_addr
        roles = app.directory.roles_of(author, cr.account, cr.assignee)
        acting = policy.acting_roles(app, cr, roles, getattr(read, "verb", ""))
    actor = engine.Actor(author, roles)
    if isinstance(read, decide.Unclear):
        likely = confirm.likely_here(app, cr, text, roles)
        if likely is not None:
            confirm.ask(session, cr, msg.from_addr, likely, read.line, entry.id, now)
            outcome, reason = answers.refuse(
                app,
                session,
                msg,
                cr,
                entry,
                "likely",
                f"read as {likely}; asked to CONFIRM",
                now,
                template="explain/confirm",
                quoted=read.line,
                kind="question",
                context={"likely": likely},
            )
            return Handled(outcome, reason, cr.id)
        outcome, reason = answers.refuse(
            app,
            session,
            msg,
            cr,
            entry,
            "unclear",
            read.reason,
            now,
            template="explain/unclear",
            quoted=read.line,
        )
        return Handled(outcome, reason, cr.id)
    verdict = policy.check(app, session, cr, proof, author, acting, read.verb, now, attested_by)
    if not verdict.allowed:
        evidence.keep(
            session, cr, cr.stage, read.verb, msg, author, attested_by, verdict, now, entry.id
        )
        outcome, reason = answers.refuse(
            app, session, msg, cr, entry, verdict.reason, verdict.detail, now
        )
        return Handled(outcome, reason, cr.id)
    readable = [a for a in msg.attachments if not is_tnef(a.filename, a.content_type)]
    reply = stage.reply(read.verb) if (stage := app.workflow.stage(cr.stage)) else None
    if reply is not None and reply.attachment and not readable and msg.attachments:
        outcome, reason = answers.refuse(
            app,
            session,
            msg,
            cr,
            entry,
            "unreadable_attachment",
            "the attachment arrived as winmail.dat (Outlook rich text), which cannot be read",
            now,
            template="explain/unreadable_attachment",
            quoted=read.line,
        )
        return Handled(outcome, reason, cr.id)
    account = app.settings.account(cr.account)
    said = engine.Said(read.verb, read.text, dict(read.fields), len(readable))
    result = engine.apply(
        app.workflow, state_of(cr, account.currency if account else ""), actor, said, now
    )
    stage_before = cr.stage
    carry_out(
        app,
        session,
        cr,
        result,
        now=now,
        actor=author,
        said=said,
        ledger_id=entry.id,
        reply_to=msg,
        context={"sender": msg.from_addr, "quoted": read.line},
    )
    if result.applied:
        store_attachments(session, cr, stage_before, msg, entry.id, now)
        evidence.keep(
            session, cr, stage_before, read.verb, msg, author, attested_by, verdict, now, entry.id
        )
        entry.outcome, entry.reason = ledger.APPLIED, f"{read.verb} at {stage_before}"
        if pending is not None:
            pending.confirmed_at = now
            session.add(pending)
            entry.reason += " (confirmed)"
        if attested_by:
            entry.reason += f", forwarded by {attested_by}"
    else:
        entry.reason = f"refused: {result.refusal}: {result.detail}"
    session.add(entry)
    return Handled(entry.outcome, entry.reason, cr.id)


def _new_request(
    app: App, session: Session, raw: RawMessage, msg: Inbound, now: datetime
) -> Handled:
    if not intake.may_open(app, msg.from_addr):
        if answers.answered_today(session, msg.from_addr, now):
            _record(session, raw, msg, now, ledger.IGNORED, "no_cr: already answered today")
            return Handled(ledger.IGNORED, "no_cr: already answered today")
        return _answer(app, session, raw, msg, now, "notice/no_cr", "no_cr")
    text = reply_text.new_text(msg.text)
    account, problem = intake.account_for(app, msg, text)
    if account is None:
        return _answer(
            app,
            session,
            raw,
            msg,
            now,
            "explain/missing_field",
            f"the customer of this request is not clear: {problem}",
        )
    entry = _record(session, raw, msg, now, ledger.APPLIED, "opened a CR")
    cr = intake.open_cr(
        app,
        session,
        account=account,
        title=msg.subject,
        description=intake.description_of(text),
        opened_by=msg.from_addr,
        now=now,
        ledger_id=entry.id,
        thread_root=msg.message_id,
        source=msg,
    )
    entry.cr_id, entry.reason = cr.id, f"opened {cr.id}"
    session.add(entry)
    store_attachments(session, cr, app.workflow.start, msg, entry.id, now)
    queue_mail(
        app,
        session,
        cr,
        engine.Mail("notice/opened", to_sender=True),
        now=now,
        reply_to=msg,
        context={"sender": msg.from_addr},
    )
    return Handled(ledger.APPLIED, entry.reason, cr.id)


def _answer(
    app: App,
    session: Session,
    raw: RawMessage,
    msg: Inbound,
    now: datetime,
    template: str,
    reason: str,
    placeholder_id: str | None = None,
) -> Handled:
    _record(session, raw, msg, now, ledger.ANSWERED, reason)
    mail = engine.Mail(
        template,
        to_sender=True,
        context={"detail": reason, "sender": msg.from_addr, "quoted": "", "expected": []},
    )
    queue_mail(
        app,
        session,
        None,
        mail,
        now=now,
        reply_to=msg,
        placeholder={"id": placeholder_id or "", "title": msg.subject[:200]},
    )
    return Handled(ledger.ANSWERED, reason)


def _record(
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
