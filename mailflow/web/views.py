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
from mailflow.config.settings import Person
from mailflow.security.audience import Audience, audience_of
from mailflow.store.cr_state import state_of
from mailflow.store.tables import AttachmentLink, Blob, ChangeRequest, Decision, Evidence
from mailflow.views.audience import stage_words
from mailflow.views.cr import view_of
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


def row_of(
    app: App, cr: ChangeRequest, now: datetime, audience: Audience = Audience.INTERNAL
) -> Row:
    """One CR's line; an external reader sees the stage in their words and FT's people
    as "FT", and "overdue" only when her own side's reply is: how long FT gives itself
    is FT's business."""
    wf = app.workflow
    stage = wf.stage(cr.stage)
    waiting = waiting_on(app, cr)
    names = [p.name for p in waiting]
    late = (
        stage is not None
        and not cr.held
        and stage.remind_hours > 0
        and (now - cr.entered_at).total_seconds() > stage.remind_hours * 3600
    )
    if audience is Audience.EXTERNAL:
        theirs = [p.name for p in waiting if _outside(app, p)]
        names = theirs + (["FT"] if len(theirs) < len(waiting) else [])
        late = late and bool(theirs)
    account = app.settings.account(cr.account)
    return Row(
        id=cr.id,
        title=cr.title,
        account=account.name if account else cr.account,
        stage=cr.stage,
        stage_title=(
            stage_words(wf, cr.stage) if audience is Audience.EXTERNAL else wf.title_of(cr.stage)
        ),
        age=age(cr.entered_at, now),
        waits_on=names,
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
    """The CRs the person may see, filtered; open ones unless a stage is chosen.

    For an external reader `stage` is a stage in her words, meaning every stage so
    called, and `who` one of her own side: FT's stages and people stay out of her filters.
    """
    wf = app.workflow
    audience = reader(app, person)
    query = select(ChangeRequest)
    if not sees_all(app, person):
        query = query.where(
            col(ChangeRequest.account).in_(list(person.accounts))
            | (col(ChangeRequest.assignee) == person.email)
        )
    if account:
        query = query.where(ChangeRequest.account == account)
    if stage:
        query = query.where(col(ChangeRequest.stage).in_(stages_named(app, audience, stage)))
    else:
        query = query.where(col(ChangeRequest.stage).not_in(list(wf.ends)))
    order = {s.name: i for i, s in enumerate(wf.stages)}
    crs = sorted(session.exec(query).all(), key=lambda c: (order.get(c.stage, 99), c.entered_at))
    rows = [row_of(app, cr, now, audience) for cr in crs]
    ours = {p.email for p in people_to_filter(app, person)}
    if who and audience is Audience.EXTERNAL and who.lower() not in ours:
        rows = []  # whom FT's side waits on is FT's to know
    if who:
        rows = [r for r in rows if who.lower() in r.waiting_emails]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.stage] = counts.get(r.stage, 0) + 1
    if audience is Audience.EXTERNAL:
        told: dict[str, int] = {}
        for s in wf.stages:
            if s.name in counts:
                words = stage_words(wf, s.name)
                told[words] = told.get(words, 0) + counts[s.name]
        return Listing(rows, [(words, words, n) for words, n in told.items()])
    by_stage = [(s.name, s.title, counts[s.name]) for s in wf.stages if s.name in counts]
    return Listing(rows, by_stage)


def stage_choices(app: App, person: Person) -> list[tuple[str, str]]:
    """The stage filter's options, (value, shown): inside FT each stage and end state by
    its name and title; for an external reader her words, each once, as value too, so
    that the page carries none of the workflow's own names."""
    wf = app.workflow
    names = [s.name for s in wf.stages] + list(wf.ends)
    if reader(app, person) is Audience.INTERNAL:
        return [(n, wf.title_of(n)) for n in names]
    return [(w, w) for w in dict.fromkeys(stage_words(wf, n) for n in names)]


def stages_named(app: App, audience: Audience, chosen: str) -> list[str]:
    """The stages a filter value stands for: the stage itself inside FT; for an external
    reader every stage and end state she knows by those words."""
    if audience is Audience.INTERNAL:
        return [chosen]
    wf = app.workflow
    names = [s.name for s in wf.stages] + list(wf.ends)
    return [n for n in names if stage_words(wf, n) == chosen]


def detail(
    app: App,
    session: Session,
    cr: ChangeRequest,
    now: datetime,
    audience: Audience = Audience.INTERNAL,
) -> dict[str, Any]:
    """Everything the CR page shows: fields, timeline, documents, evidence of decisions.

    An external reader gets the CR as their audience may see it, and no evidence table:
    how others were proven is FT's record, and their own decisions are on the timeline.
    Her contact is her CSM; whoever else at FT opened the CR is "FT" to her.
    """
    outside = audience is Audience.EXTERNAL
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
    wf = app.workflow
    return {
        "cr": view_of(app, session, cr, audience),
        "row": row_of(app, cr, now, audience),
        "documents": [
            (link, size, stage_words(wf, link.stage) if outside else wf.title_of(link.stage))
            for link, size in documents
        ],
        "evidence": [] if outside else list(evidence),
        "decisions": [] if outside else list(decisions),
        "audience": audience.value,
        "contacts": contacts(app, cr) if outside else [],
        "opened_by": opener(app, cr, audience),
    }


def contacts(app: App, cr: ChangeRequest) -> list[Person]:
    """Whom an external reader deals with at FT on this CR: its thread owners (the CSM)."""
    wf = app.workflow
    people: dict[str, Person] = {}
    for role in wf.thread_owners:
        if role not in wf.external:
            for p in app.directory.holders(role, cr.account, cr.assignee):
                people.setdefault(p.email, p)
    return [p for p in people.values() if not _outside(app, p)]


def opener(app: App, cr: ChangeRequest, audience: Audience) -> str:
    """Who opened the CR, as the reader may know them: inside FT the address; outside,
    her own side or her contact by name and address, anyone else at FT as "FT"."""
    if audience is Audience.INTERNAL:
        return cr.opened_by
    person = app.settings.person(cr.opened_by)
    known = {p.email for p in contacts(app, cr)}
    if person is not None and (_outside(app, person) or person.email in known):
        return f"{person.name} <{person.email}>"
    return "FT"


def reader(app: App, person: Person) -> Audience:
    """The audience of a signed-in person."""
    return audience_of(app.settings, app.workflow.external, person.email)


def people_to_filter(app: App, person: Person) -> list[Person]:
    """Whom the "waiting on" filter offers: for an external reader, only their own side."""
    if reader(app, person) is Audience.INTERNAL:
        return list(app.settings.people)
    return [
        p
        for p in app.settings.people
        if _outside(app, p) and set(p.accounts) & set(person.accounts)
    ]


def _outside(app: App, person: Person) -> bool:
    return audience_of(app.settings, app.workflow.external, person.email) is Audience.EXTERNAL


def document(session: Session, cr_id: str, link_id: int) -> tuple[AttachmentLink, bytes] | None:
    link = session.get(AttachmentLink, link_id)
    if link is None or link.cr_id != cr_id:
        return None
    blob = session.get(Blob, link.sha256)
    return (link, blob.data) if blob is not None else None
