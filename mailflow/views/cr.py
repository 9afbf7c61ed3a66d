"""A CR read from the store into the plain values mail templates show (mail/context.py).

The one place where composing a mail meets the database: the files and timeline of
a CR are read here, figures are formatted by the workflow layer, and the mail layer
receives only words.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.mail.context import CrView, HistoryLine, Reader, people_words, template_context
from mailflow.security.audience import Audience
from mailflow.store.cr_tables import AttachmentLink, AuditEvent, ChangeRequest
from mailflow.views.audience import external_events, external_fields, stage_words
from mailflow.views.wording import opening_fields, roles_titled
from mailflow.workflow.fields import show
from mailflow.workflow.outcomes import expected_replies
from mailflow.workflow.plausible import proposal


def cr_context(
    app: App,
    session: Session,
    cr: ChangeRequest | None,
    roles: Sequence[str] = (),
    placeholder: Mapping[str, Any] | None = None,
    audience: Audience = Audience.INTERNAL,
    views: MutableMapping[Audience, CrView] | None = None,
) -> dict[str, Any]:
    """The template context for a CR (or for a mail about no CR, with placeholder values),
    as a reader of this audience may see it. `views` keeps each audience's view of the CR
    for the caller's next mails, when it knows the CR does not change between them."""
    wf = app.workflow
    titles = [wf.roles[r].title for r in roles if r in wf.roles]
    views = {} if views is None else views
    if cr is not None and audience not in views:
        views[audience] = view_of(app, session, cr, audience)
    view = views[audience] if cr is not None else None
    context = template_context(view, titles, app.settings.shared_inbox, placeholder)
    context["audience"] = audience.value
    # a read-back line starts with a field's label ("Effort: 12 person-days"); the longest
    # last, so that a label that begins another is not taken for it
    context["labels"] = sorted((spec.label for spec in wf.fields.values()), key=len)
    return context


def reader_context(
    app: App,
    cr: ChangeRequest | None,
    to: Sequence[str],
    roles: Sequence[str],
    reader: Reader,
) -> dict[str, Any]:
    """Whom one rendering greets and is for: the people on the To line its reader sees,
    by their configured names, and the reader (addressed or copied).

    A person with no name configured is greeted by the title of the role the mail is
    for (`roles`), or of a role they hold on the CR; when no one on the To line has a
    name, the greeting stays the role titles the context already has.
    """
    wf = app.workflow
    greeted: list[str] = []
    named: list[str] = []
    for address in to:
        name = name_of(app, address)
        named.append(name or address)
        if name:
            greeted.append(name)
            continue
        held = app.directory.roles_of(address, cr.account, cr.assignee) if cr else frozenset()
        titles = [wf.roles[r].title for r in (*roles, *sorted(held)) if r in held and r in wf.roles]
        greeted.append(titles[0] if titles else "")
    context: dict[str, Any] = {
        "reader": Reader(
            addressed=reader.addressed,
            name=reader.name,
            address=reader.address,
            to=people_words(named),
            to_addresses=list(to),
        ).as_context()
    }
    if any(n != a for n, a in zip(named, to, strict=True)) and all(greeted) and len(to) <= 4:
        context["greeting"] = people_words(greeted)
        context["named"] = True  # the greeting names people, not only roles
    return context


def name_of(app: App, address: str) -> str:
    """A person's configured name; "" when none is configured (or no such person)."""
    person = app.settings.person(address)
    return person.name if person is not None and person.name != person.email else ""


class _Event(NamedTuple):
    at: datetime
    kind: str
    detail: str
    actor: str


_EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]
# Plain columns, not table objects: a view is read for nearly every mail, and a CR's
# timeline grows with every reply.
_TIMELINE = (
    core_select(_EVENTS.c.at, _EVENTS.c.kind, _EVENTS.c.detail, _EVENTS.c.actor)
    .where(_EVENTS.c.cr_id == bindparam("cr_id"), _EVENTS.c.kind != "mail")
    .order_by(_EVENTS.c.id)
)


def view_of(
    app: App, session: Session, cr: ChangeRequest, audience: Audience = Audience.INTERNAL
) -> CrView:
    """The CR for one reader: an external reader gets only what the workflow's [audience]
    section lets through (its stage in customer words, approved figures, their own
    side's decisions)."""
    wf = app.workflow
    account = app.settings.account(cr.account)
    conv = app.directory.conventions(cr.account)
    opening = opening_fields(wf)
    files = session.exec(
        select(AttachmentLink.filename)
        .where(AttachmentLink.cr_id == cr.id)
        .order_by(col(AttachmentLink.id))
    ).all()
    session.flush()  # this message's own lines too, as a query of table objects would
    events = [_Event(*row) for row in session.connection().execute(_TIMELINE, {"cr_id": cr.id})]
    outside = audience is Audience.EXTERNAL
    shown = external_fields(wf, cr, events) if outside else set(wf.fields)
    facts = [
        (wf.fields[k].label, show(v, wf.fields[k], conv))
        for k, v in cr.fields.items()
        if k in wf.fields and k not in opening and k in shown
    ]
    offer = None if outside else proposal(wf, cr.fields, conv)
    history = [
        HistoryLine(e.at.strftime("%Y-%m-%d %H:%M"), e.kind, roles_titled(wf, e.detail))
        for e in (external_events(app, events) if outside else events)
    ]
    stage = wf.stage(cr.stage)
    answers_here = not outside or bool(stage and set(stage.actors) & set(wf.external))
    return CrView(
        id=cr.id,
        title=cr.title,
        description=cr.description,
        account=account.name if account else cr.account,
        stage=cr.stage,
        stage_title=stage_words(wf, cr.stage) if outside else wf.title_of(cr.stage),
        held=cr.held,
        opened_by=cr.opened_by,
        created=cr.created_at.strftime("%Y-%m-%d"),
        facts=facts,
        attachments=list(files),
        history=history,
        expected=expected_replies(wf, cr.stage) if answers_here else [],
        proposed_cost=f"{offer.shown} ({offer.basis})" if offer else "",
    )
