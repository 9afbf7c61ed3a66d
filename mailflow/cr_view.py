"""A CR read from the store into the plain values mail templates show (mail/context.py).

The one place where composing a mail meets the database: the files and timeline of
a CR are read here, figures are formatted by the workflow layer, and the mail layer
receives only words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.mail.context import CrView, HistoryLine, template_context
from mailflow.store.tables import AttachmentLink, AuditEvent, ChangeRequest
from mailflow.workflow.definition import Workflow
from mailflow.workflow.engine import expected_replies
from mailflow.workflow.fields import show
from mailflow.workflow.plausible import proposal


def cr_context(
    app: App,
    session: Session,
    cr: ChangeRequest | None,
    roles: Sequence[str] = (),
    placeholder: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The template context for a CR (or for a mail about no CR, with placeholder values)."""
    wf = app.workflow
    titles = [wf.roles[r].title for r in roles if r in wf.roles]
    view = view_of(app, session, cr) if cr is not None else None
    return template_context(view, titles, app.settings.shared_inbox, placeholder)


def view_of(app: App, session: Session, cr: ChangeRequest) -> CrView:
    wf = app.workflow
    account = app.settings.account(cr.account)
    conv = app.directory.conventions(cr.account)
    opening = opening_fields(wf)
    facts = [
        (wf.fields[k].label, show(v, wf.fields[k], conv))
        for k, v in cr.fields.items()
        if k in wf.fields and k not in opening
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
    offer = proposal(wf, cr.fields, conv)
    return CrView(
        id=cr.id,
        title=cr.title,
        description=cr.description,
        account=account.name if account else cr.account,
        stage=cr.stage,
        stage_title=wf.title_of(cr.stage),
        held=cr.held,
        opened_by=cr.opened_by,
        created=cr.created_at.strftime("%Y-%m-%d"),
        facts=facts,
        attachments=list(files),
        history=[HistoryLine(e.at.strftime("%Y-%m-%d %H:%M"), e.kind, e.detail) for e in events],
        expected=expected_replies(wf, cr.stage),
        proposed_cost=f"{offer.shown} ({offer.basis})" if offer else "",
    )


def opening_fields(wf: Workflow) -> set[str]:
    """Fields given when a CR is opened (title, customer…), shown apart from later facts."""
    stage = wf.stage(wf.start)
    return {f for r in (stage.replies if stage else ()) for f in (*r.fields, *r.optional)}
