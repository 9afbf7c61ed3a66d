"""A reply on an existing CR: read it, check who sent it, decide, and carry it out.

The order matters for safety: a stranger is answered before anything is read; the
decision comes only from the new text; the sender's policy (token, authentication) is
checked before the engine may move the CR; evidence is kept for what was decided.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from mailflow import authorize, confirm, decide
from mailflow.app import App
from mailflow.effects import carry_out, state_of
from mailflow.mail import reply_text
from mailflow.mail.parse import Inbound
from mailflow.outcome import Handled, record
from mailflow.reading import read_reply
from mailflow.security import answers, evidence, forwarded, policy
from mailflow.store import ledger
from mailflow.store.attachments import is_tnef, store_attachments
from mailflow.store.tables import ChangeRequest
from mailflow.transport.base import RawMessage
from mailflow.workflow import engine


def handle_reply(
    app: App, session: Session, raw: RawMessage, msg: Inbound, cr: ChangeRequest, now: datetime
) -> Handled:
    roles = app.directory.roles_of(msg.from_addr, cr.account, cr.assignee)
    check = authorize.check(app, msg, roles)
    entry = record(session, raw, msg, now, ledger.ANSWERED, "", cr.id)
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
            entry.reason = f"asked to confirm: read as {likely}"
            session.add(entry)
            return Handled(outcome, entry.reason, cr.id)
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
