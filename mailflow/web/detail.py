"""One CR's page: its fields, documents, timeline, and inside FT how each decision's
sender was proven.

An external reader gets the CR as her audience may see it and no evidence table: how
others were proven is FT's record, and her own decisions are on the timeline. Her
contact is her CSM; whoever else at FT opened the CR is "FT" to her.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.config.settings import Person
from mailflow.security.audience import Audience, audience_of
from mailflow.store.message_tables import Blob
from mailflow.store.tables import AttachmentLink, ChangeRequest, Evidence
from mailflow.views.cr import view_of
from mailflow.web.listing import row_of
from mailflow.web.proof import proof_words
from mailflow.web.views import stage_title


@dataclass(frozen=True)
class Proven:
    """One evidence row as the page shows it: plain words first, the record behind them."""

    row: Evidence
    stage_title: str
    who: str
    proof: str


def detail(
    app: App,
    session: Session,
    cr: ChangeRequest,
    now: datetime,
    audience: Audience = Audience.INTERNAL,
) -> dict[str, Any]:
    """Everything the CR page shows, for this audience."""
    outside = audience is Audience.EXTERNAL
    documents = session.exec(
        select(AttachmentLink, Blob.size)
        .join(Blob, col(Blob.sha256) == col(AttachmentLink.sha256))
        .where(AttachmentLink.cr_id == cr.id)
        .order_by(col(AttachmentLink.id))
    ).all()
    return {
        "cr": view_of(app, session, cr, audience),
        "row": row_of(app, session, cr, now, audience),
        "documents": [
            (link, size, stage_title(app, link.stage, audience)) for link, size in documents
        ],
        "evidence": [] if outside else evidence(app, session, cr),
        "audience": audience.value,
        "contacts": contacts(app, cr) if outside else [],
        "opened_by": opener(app, cr, audience),
    }


def evidence(app: App, session: Session, cr: ChangeRequest) -> list[Proven]:
    """How each reply acted on (or refused) was proven, oldest first, in plain words."""
    rows = session.exec(
        select(Evidence).where(Evidence.cr_id == cr.id).order_by(col(Evidence.id))
    ).all()
    out = []
    for e in rows:
        person = app.settings.person(e.actor)
        out.append(
            Proven(
                row=e,
                stage_title=app.workflow.title_of(e.stage),
                who=person.name if person else e.actor,
                proof=proof_words(e, _outside(app, e.actor)),
            )
        )
    return out


def contacts(app: App, cr: ChangeRequest) -> list[Person]:
    """Whom an external reader deals with at FT on this CR: its thread owners (the CSM)."""
    wf = app.workflow
    people: dict[str, Person] = {}
    for role in wf.thread_owners:
        if role not in wf.external:
            for p in app.directory.holders(role, cr.account, cr.assignee):
                people.setdefault(p.email, p)
    return [p for p in people.values() if not _outside(app, p.email)]


def opener(app: App, cr: ChangeRequest, audience: Audience) -> str:
    """Who opened the CR, as the reader may know them: inside FT the address; outside,
    her own side or her contact by name and address, anyone else at FT as "FT"."""
    if audience is Audience.INTERNAL:
        return cr.opened_by
    person = app.settings.person(cr.opened_by)
    known = {p.email for p in contacts(app, cr)}
    if person is not None and (_outside(app, person.email) or person.email in known):
        return f"{person.name} <{person.email}>"
    return "FT"


def _outside(app: App, address: str) -> bool:
    return audience_of(app.settings, app.workflow.external, address) is Audience.EXTERNAL
