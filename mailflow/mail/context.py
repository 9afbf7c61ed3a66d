"""What a template may show about a CR: its facts, files, timeline and what to reply.

Built from the workflow definition (labels, units, the opening fields) so that templates
never need to know stage or field names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.store.tables import AttachmentLink, AuditEvent, ChangeRequest
from mailflow.workflow.engine import expected_replies
from mailflow.workflow.fields import show
from mailflow.workflow.plausible import proposal


@dataclass(frozen=True)
class HistoryLine:
    at: str
    kind: str
    detail: str


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
    conv = app.directory.conventions(cr.account)
    facts = [
        (wf.fields[k].label, show(v, wf.fields[k], conv))
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
    offer = proposal(app.workflow, cr.fields, app.directory.conventions(cr.account))
    return f"{offer.shown} ({offer.basis})" if offer else ""
