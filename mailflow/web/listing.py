"""The list of CRs on the status page: one row per CR, and the pipeline picture above it.

"Waits on" is the people who still owe a reply at the CR's stage, as the reminders see
them; "overdue" is the reminders' own measure (business time past the stage's reminder
interval). An external reader sees stages in her words, FT's people as "FT", overdue
only where her own side's reply is late, and a figure only once her side may see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.config.settings import Person
from mailflow.security.audience import Audience
from mailflow.store.cr_state import state_of
from mailflow.store.tables import AuditEvent, ChangeRequest
from mailflow.views.audience import external_fields
from mailflow.views.durations import duration_words
from mailflow.views.progress import aware, calendar_of, is_overdue
from mailflow.web import pipeline
from mailflow.web.views import outside, people_to_filter, reader, stage_title, stages_named, visible
from mailflow.workflow import reminding
from mailflow.workflow.definition import Workflow
from mailflow.workflow.fields import show


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
    overdue_by: str  # "" when not overdue
    figures: list[str]  # one per money field, "" where none is known or shown


def money_fields(wf: Workflow) -> list[str]:
    """The fields shown as figures in the list (money), in the workflow's order."""
    return [name for name, spec in wf.fields.items() if spec.type == "money"]


def waiting_on(app: App, cr: ChangeRequest) -> list[Person]:
    """The people who still owe a reply at the CR's stage."""
    people: dict[str, Person] = {}
    for role in reminding.owed(app.workflow, state_of(cr, "")):
        for p in app.directory.holders(role, cr.account, cr.assignee):
            people.setdefault(p.email, p)
    return list(people.values())


def overdue_by(app: App, cr: ChangeRequest, now: datetime) -> str:
    """How long past its reminder time the CR has waited, in words; "" when it has not."""
    stage = app.workflow.stage(cr.stage)
    if stage is None or not is_overdue(app, cr, now):
        return ""
    due = calendar_of(app).after(aware(cr.entered_at), stage.remind_hours)
    return duration_words(now - due) if due is not None else ""


def row_of(
    app: App,
    session: Session,
    cr: ChangeRequest,
    now: datetime,
    audience: Audience = Audience.INTERNAL,
) -> Row:
    """One CR's line, as this audience may see it: how long FT gives itself is FT's
    business, so outside FT "overdue" means her own side's reply is late."""
    waiting = waiting_on(app, cr)
    names = [p.name for p in waiting]
    late = overdue_by(app, cr, now)
    if audience is Audience.EXTERNAL:
        theirs = [p.name for p in waiting if outside(app, p)]
        names = theirs + (["FT"] if len(theirs) < len(waiting) else [])
        late = late if theirs else ""
    account = app.settings.account(cr.account)
    return Row(
        id=cr.id,
        title=cr.title,
        account=account.name if account else cr.account,
        stage=cr.stage,
        stage_title=stage_title(app, cr.stage, audience),
        age=duration_words(now - aware(cr.entered_at)),
        waits_on=names,
        waiting_emails=[p.email for p in waiting],
        overdue=bool(late),
        overdue_by=late,
        figures=figures(app, session, cr, audience),
    )


def figures(app: App, session: Session, cr: ChangeRequest, audience: Audience) -> list[str]:
    """The CR's money figures, each as every mail shows it, where the reader may see it."""
    wf = app.workflow
    names = money_fields(wf)
    shown = set(names)
    if audience is Audience.EXTERNAL:
        # the timeline matters only for an ended CR: where it ended decides what she sees
        events = session.exec(select(AuditEvent).where(AuditEvent.cr_id == cr.id)).all()
        shown = external_fields(wf, cr, events if wf.is_end(cr.stage) else [])
    conv = app.directory.conventions(cr.account)
    return [
        show(cr.fields[n], wf.fields[n], conv) if n in cr.fields and n in shown else ""
        for n in names
    ]


@dataclass
class Listing:
    rows: list[Row] = field(default_factory=list)
    picture: pipeline.Picture | None = None


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
    query = select(ChangeRequest).where(*visible(app, person))
    if account:
        query = query.where(ChangeRequest.account == account)
    if stage:
        query = query.where(col(ChangeRequest.stage).in_(stages_named(app, audience, stage)))
    else:
        query = query.where(col(ChangeRequest.stage).not_in(list(wf.ends)))
    order = {s.name: i for i, s in enumerate(wf.stages)}
    crs = sorted(session.exec(query).all(), key=lambda c: (order.get(c.stage, 99), c.entered_at))
    ours = {p.email for p in people_to_filter(app, person)}
    if who and audience is Audience.EXTERNAL and who.lower() not in ours:
        crs = []  # whom FT's side waits on is FT's to know
    rows = [row_of(app, session, cr, now, audience) for cr in crs]
    if who:
        rows = [r for r in rows if who.lower() in r.waiting_emails]
    return Listing(rows, pipeline.draw(stages_in_picture(app, rows, audience)))


def stages_in_picture(app: App, rows: list[Row], audience: Audience) -> list[pipeline.Stage]:
    """Every stage of the workflow in order, with the listed CRs standing there; outside
    FT her words, each once, so two of FT's stages she knows by one name are one bar."""

    def value(stage: str) -> str:  # what the stage filter calls it for this reader
        return stage_title(app, stage, audience) if audience is Audience.EXTERNAL else stage

    counts: dict[str, tuple[int, int]] = {}
    for r in rows:
        n, late = counts.get(value(r.stage), (0, 0))
        counts[value(r.stage)] = (n + 1, late + r.overdue)
    out: dict[str, pipeline.Stage] = {}
    for s in app.workflow.stages:
        v = value(s.name)
        if v not in out:
            out[v] = pipeline.Stage(v, stage_title(app, s.name, audience), *counts.get(v, (0, 0)))
    return list(out.values())
