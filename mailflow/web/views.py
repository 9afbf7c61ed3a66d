"""What the status page shows, read from the store and cut to what the person may see.

A person with any role of global scope (management, the integration team…) sees every
CR; everyone else sees the CRs of their accounts and those assigned to them. "Waits on"
is the people who still owe a reply at the CR's stage, as the reminders see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.config import Person
from mailflow.cr_view import view_of
from mailflow.effects import state_of
from mailflow.store.tables import AttachmentLink, Blob, ChangeRequest, Decision, Evidence
from mailflow.workflow import engine


def sees_all(app: App, person: Person) -> bool:
    roles = app.workflow.roles
    return any(r in roles and roles[r].scope == "global" for r in person.roles)


def may_see(app: App, person: Person, cr: ChangeRequest) -> bool:
    return sees_all(app, person) or cr.account in person.accounts or cr.assignee == person.email


def age(since: datetime, now: datetime) -> str:
    hours = max(0, int((now - since).total_seconds() // 3600))
    return f"{hours} h" if hours < 48 else f"{hours // 24} d"


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    account: str
    stage: str
    stage_title: str
    age: str
    waits_on: list[str]
    waiting_emails: list[str]
    overdue: bool


def waiting_on(app: App, cr: ChangeRequest) -> list[Person]:
    """The people who still owe a reply at the CR's stage."""
    wf = app.workflow
    people: dict[str, Person] = {}
    for role in engine.owed(wf, state_of(cr, "")):
        for p in app.directory.holders(role, cr.account, cr.assignee):
            people.setdefault(p.email, p)
    return list(people.values())


def row_of(app: App, cr: ChangeRequest, now: datetime) -> Row:
    wf = app.workflow
    stage = wf.stage(cr.stage)
    waiting = waiting_on(app, cr)
    late = (
        stage is not None
        and not cr.held
        and stage.remind_hours > 0
        and (now - cr.entered_at).total_seconds() > stage.remind_hours * 3600
    )
    account = app.settings.account(cr.account)
    return Row(
        id=cr.id,
        title=cr.title,
        account=account.name if account else cr.account,
        stage=cr.stage,
        stage_title=wf.title_of(cr.stage),
        age=age(cr.entered_at, now),
        waits_on=[p.name for p in waiting],
        waiting_emails=[p.email for p in waiting],
        overdue=late,
    )


@dataclass
class Listing:
    rows: list[Row] = field(default_factory=list)
    by_stage: list[tuple[str, str, int]] = field(default_factory=list)


def listing(
    app: App,
    session: Session,
    person: Person,
    now: datetime,
    account: str = "",
    stage: str = "",
    who: str = "",
) -> Listing:
    """The CRs the person may see, filtered; open ones unless a stage is chosen."""
    wf = app.workflow
    query = select(ChangeRequest)
    if not sees_all(app, person):
        query = query.where(
            col(ChangeRequest.account).in_(list(person.accounts))
            | (col(ChangeRequest.assignee) == person.email)
        )
    if account:
        query = query.where(ChangeRequest.account == account)
    if stage:
        query = query.where(ChangeRequest.stage == stage)
    else:
        query = query.where(col(ChangeRequest.stage).not_in(list(wf.ends)))
    order = {s.name: i for i, s in enumerate(wf.stages)}
    crs = sorted(session.exec(query).all(), key=lambda c: (order.get(c.stage, 99), c.entered_at))
    rows = [row_of(app, cr, now) for cr in crs]
    if who:
        rows = [r for r in rows if who.lower() in r.waiting_emails]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.stage] = counts.get(r.stage, 0) + 1
    by_stage = [(s.name, s.title, counts[s.name]) for s in wf.stages if s.name in counts]
    return Listing(rows, by_stage)


def detail(app: App, session: Session, cr: ChangeRequest, now: datetime) -> dict[str, Any]:
    """Everything the CR page shows: fields, timeline, documents, evidence of decisions."""
    documents = session.exec(
        select(AttachmentLink, Blob.size)
        .join(Blob, col(Blob.sha256) == col(AttachmentLink.sha256))
        .where(AttachmentLink.cr_id == cr.id)
        .order_by(col(AttachmentLink.id))
    ).all()
    evidence = session.exec(
        select(Evidence).where(Evidence.cr_id == cr.id).order_by(col(Evidence.id))
    ).all()
    decisions = session.exec(
        select(Decision).where(Decision.cr_id == cr.id).order_by(col(Decision.id))
    ).all()
    return {
        "cr": view_of(app, session, cr),
        "row": row_of(app, cr, now),
        "documents": [(link, size) for link, size in documents],
        "evidence": list(evidence),
        "decisions": list(decisions),
    }


def document(session: Session, cr_id: str, link_id: int) -> tuple[AttachmentLink, bytes] | None:
    link = session.get(AttachmentLink, link_id)
    if link is None or link.cr_id != cr_id:
        return None
    blob = session.get(Blob, link.sha256)
    return (link, blob.data) if blob is not None else None
