"""Carry out what the engine decided, inside the caller's transaction.

The CR row, its decision, its timeline and every mail it causes are written together,
so a crash leaves either all of it or none of it (DESIGN invariant 2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.mail.parse import Inbound
from mailflow.security import outgoing
from mailflow.store import outbox
from mailflow.store.tables import AttachmentLink, AuditEvent, ChangeRequest, Decision
from mailflow.workflow.engine import EVERYONE, Audit, CRState, Mail, Result, Said, expected_replies
from mailflow.workflow.fields import show


@dataclass(frozen=True)
class HistoryLine:
    at: str
    kind: str
    detail: str


def state_of(cr: ChangeRequest, currency: str) -> CRState:
    return CRState(
        stage=cr.stage,
        entered_at=cr.entered_at,
        held=cr.held,
        fields=dict(cr.fields),
        votes=tuple((v[0], v[1]) for v in cr.votes),
        reminders=cr.reminders,
        reminded_at=cr.reminded_at,
        currency=currency,
    )


def carry_out(
    app: App,
    session: Session,
    cr: ChangeRequest,
    result: Result,
    *,
    now: datetime,
    actor: str,
    said: Said | None = None,
    ledger_id: int | None = None,
    reply_to: Inbound | None = None,
    context: Mapping[str, Any] | None = None,
) -> None:
    """Write the new state, the decision, the timeline and the outgoing mail of one result."""
    stage_before = cr.stage
    state = result.state
    cr.stage, cr.held, cr.fields = state.stage, state.held, dict(state.fields)
    cr.votes = [list(v) for v in state.votes]
    cr.entered_at, cr.reminders, cr.reminded_at = (
        state.entered_at,
        state.reminders,
        state.reminded_at,
    )
    cr.updated_at = now
    for name, spec in app.workflow.fields.items():
        if spec.type == "person" and name in cr.fields:
            cr.assignee = str(cr.fields[name])
    session.add(cr)
    session.flush()
    if result.applied and said is not None and app.workflow.command(said.verb) is None:
        session.add(
            Decision(
                cr_id=cr.id,
                stage=stage_before,
                verb=said.verb,
                actor=actor,
                text=said.text,
                ledger_id=ledger_id,
                at=now,
            )
        )
    for effect in result.effects:
        if isinstance(effect, Audit):
            audit(
                session,
                cr,
                effect.kind,
                effect.detail,
                now,
                actor=actor,
                ledger_id=ledger_id,
                stage=stage_before,
            )
    for effect in result.effects:
        if isinstance(effect, Mail):
            queue_mail(
                app,
                session,
                cr,
                effect,
                now=now,
                reply_to=reply_to,
                context={**(context or {}), **effect.context},
            )


def audit(
    session: Session,
    cr: ChangeRequest,
    kind: str,
    detail: str,
    now: datetime,
    *,
    actor: str = "",
    ledger_id: int | None = None,
    stage: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            cr_id=cr.id,
            at=now,
            stage=stage or cr.stage,
            kind=kind,
            detail=detail[:2000],
            actor=actor,
            ledger_id=ledger_id,
        )
    )


def queue_mail(
    app: App,
    session: Session,
    cr: ChangeRequest | None,
    mail: Mail,
    *,
    now: datetime,
    reply_to: Inbound | None = None,
    context: Mapping[str, Any] | None = None,
    placeholder: Mapping[str, Any] | None = None,
) -> str | None:
    """Render one Mail effect into outbox rows, one per recipient (each with its own reply
    token); returns the logical mail's group id (None: nobody to tell)."""
    to, cc = _recipients(app, cr, mail, reply_to)
    if not to:
        if cr is not None:
            audit(
                session,
                cr,
                "mail",
                f"{mail.template}: nobody holds the role(s) "
                f"{', '.join(mail.to_roles)}; nothing sent",
                now,
            )
        return None
    ctx = cr_context(app, session, cr, mail.to_roles or (), placeholder)
    ctx.update(context or {})
    if reply_to is not None and mail.to_sender:
        in_reply_to = reply_to.message_id or None
        references: Sequence[str] = (*reply_to.references, reply_to.message_id)
    else:
        in_reply_to = cr.thread_root if cr and cr.thread_root else None
        references = (in_reply_to,) if in_reply_to else ()
    cr_id = cr.id if cr else None
    replied_by = reply_to.from_addr if reply_to is not None else None
    message_id, copies = outgoing.copies(app, session, cr, [*to, *cc], now)
    for copy in copies:
        refs = outgoing.references_for(copy.address, replied_by, references)
        msg = app.composer.build(
            template=mail.template,
            context=ctx,
            cr_id=cr_id,
            to=to,
            cc=cc,
            in_reply_to=in_reply_to if in_reply_to in refs else None,
            references=refs,
            now=now,
            message_id=copy.message_id,
            reply_address=copy.reply_address,
        )
        row = outbox.enqueue(
            session,
            message_id=copy.message_id,
            envelope_from=app.settings.shared_inbox,
            recipients=[copy.address],
            data=msg.as_bytes(),
            cr_id=cr_id,
            template=mail.template,
            now=now,
        )
        row.group_id = message_id
    if cr is not None:
        if not cr.thread_root:
            cr.thread_root = message_id
            session.add(cr)
        audit(
            session,
            cr,
            "mail",
            f"{mail.template} → {', '.join(to)}" + (f" (cc {', '.join(cc)})" if cc else ""),
            now,
        )
    return message_id


def _recipients(
    app: App, cr: ChangeRequest | None, mail: Mail, reply_to: Inbound | None
) -> tuple[list[str], list[str]]:
    own = {app.settings.shared_inbox}
    if mail.to_sender:
        to = [reply_to.from_addr] if reply_to is not None else []
    else:
        to = _addresses(app, cr, mail.to_roles)
    cc = [a for a in _addresses(app, cr, mail.cc_roles) if a not in to]
    to, cc = [a for a in to if a not in own], [a for a in cc if a not in own]
    if not to:
        to, cc = cc, []
    return to, cc


def _addresses(app: App, cr: ChangeRequest | None, roles: Iterable[str]) -> list[str]:
    if cr is None:
        return []
    out: list[str] = []
    for role in roles:
        people = (
            app.directory.everyone(cr.account, cr.assignee)
            if role == EVERYONE
            else app.directory.holders(role, cr.account, cr.assignee)
        )
        out += [p.email for p in people if p.email not in out]
    return out


def cr_context(
    app: App,
    session: Session,
    cr: ChangeRequest | None,
    roles: Sequence[str] = (),
    placeholder: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a template may show about a CR (see templates/ for what each one uses)."""
    wf = app.workflow
    titles = " and ".join(wf.roles[r].title for r in roles if r in wf.roles)
    base: dict[str, Any] = {
        "roles": titles or "everyone on this CR",
        "shared_inbox": app.settings.shared_inbox,
        "product": "mailflow",
        "history": [],
        "expected": [],
        "proposed_cost": "",
    }
    if cr is None:
        base["cr"] = {
            "id": "",
            "title": "",
            "description": "",
            "account": "",
            "stage": "",
            "stage_title": "",
            "held": False,
            "facts": [],
            "attachments": [],
            "opened_by": "",
            "created": "",
            **(placeholder or {}),
        }
        return base
    account = app.settings.account(cr.account)
    facts = [
        (wf.fields[k].label + (f" ({wf.fields[k].unit})" if wf.fields[k].unit else ""), show(v))
        for k, v in cr.fields.items()
        if k in wf.fields and k not in opening_fields(app)
    ]
    files = session.exec(
        select(AttachmentLink.filename)
        .where(AttachmentLink.cr_id == cr.id)
        .order_by(col(AttachmentLink.id))
    ).all()
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.cr_id == cr.id)
        .where(AuditEvent.kind != "mail")
        .order_by(col(AuditEvent.id))
    ).all()
    base.update(
        {
            "cr": {
                "id": cr.id,
                "title": cr.title,
                "description": cr.description,
                "account": account.name if account else cr.account,
                "stage": cr.stage,
                "stage_title": wf.title_of(cr.stage),
                "held": cr.held,
                "facts": facts,
                "attachments": list(files),
                "opened_by": cr.opened_by,
                "created": cr.created_at.strftime("%Y-%m-%d"),
            },
            "history": [
                HistoryLine(e.at.strftime("%Y-%m-%d %H:%M"), e.kind, e.detail) for e in events
            ],
            "expected": expected_replies(wf, cr.stage),
            "proposed_cost": proposed_cost(app, cr),
        }
    )
    return base


def opening_fields(app: App) -> set[str]:
    """Fields given when a CR is opened (title, customer…), shown apart from later facts."""
    stage = app.workflow.stage(app.workflow.start)
    return {f for r in (stage.replies if stage else ()) for f in (*r.fields, *r.optional)}


def proposed_cost(app: App, cr: ChangeRequest) -> str:
    """The cost mailflow suggests: the named field × the account's agreed billing rate."""
    account = app.settings.account(cr.account)
    for spec in app.workflow.fields.values():
        if spec.type != "money" or not spec.proposed_from or account is None:
            continue
        source = cr.fields.get(spec.proposed_from)
        try:
            amount = Decimal(str(source)) * account.billing_rate
        except (InvalidOperation, TypeError):
            continue
        unit = app.workflow.fields[spec.proposed_from].unit
        return (
            f"{account.currency} {amount:.2f} ({source} {unit} × "
            f"{account.currency} {account.billing_rate:.2f})"
        )
    return ""
