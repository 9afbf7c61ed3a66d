"""What was decided on a CR before, as a reply to an old request or a repeated decision is
told: the decisions recorded, and when this person gave the same one."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.store.cr_tables import ChangeRequest, Decision
from mailflow.views.progress import aware, waiting


def recorded(session: Session, app: App, cr: ChangeRequest) -> list[str]:
    """The decisions recorded on the CR, oldest first, as people read them."""
    rows = session.exec(
        select(Decision).where(Decision.cr_id == cr.id).order_by(col(Decision.id))
    ).all()
    wf = app.workflow
    return [
        f"{aware(d.at):%Y-%m-%d}: {d.verb}{' — ' + d.text if d.text else ''}, by {d.actor}, "
        f"at the stage {wf.title_of(d.stage)}"
        for d in rows
    ]


def same_before(
    session: Session, app: App, cr: ChangeRequest, actor: str, verb: str
) -> dict[str, str]:
    """When and at which stage this person's same decision was recorded ({} if never)."""
    row = session.exec(
        select(Decision)
        .where(Decision.cr_id == cr.id)
        .where(Decision.actor == actor)
        .where(Decision.verb == verb)
        .order_by(col(Decision.id).desc())
    ).first()
    if row is None:
        return {}
    return {
        "recorded_on": f"{aware(row.at):%Y-%m-%d}",
        "recorded_at": app.workflow.title_of(row.stage),
    }


def where_now(session: Session, app: App, cr: ChangeRequest, now: datetime) -> dict[str, object]:
    """What a reply to an old request is told: where the CR is now and what was recorded."""
    return {"earlier": recorded(session, app, cr), "waits_on": waiting(app, cr, now).who}
