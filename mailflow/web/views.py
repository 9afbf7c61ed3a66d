"""Who sees what on the status page: which CRs, which filters, in whose words.

A person with any role of global scope (management, the integration team…) sees every
CR; everyone else sees the CRs of their accounts and those assigned to them. An external
reader (the customer) sees stages in her own words and only her own side's people.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col

from mailflow.app import App
from mailflow.config.settings import Person
from mailflow.security.audience import Audience, audience_of
from mailflow.store.message_tables import Blob
from mailflow.store.tables import AttachmentLink, ChangeRequest
from mailflow.views.audience import stage_words


def sees_all(app: App, person: Person) -> bool:
    roles = app.workflow.roles
    return any(r in roles and roles[r].scope == "global" for r in person.roles)


def may_see(app: App, person: Person, cr: ChangeRequest) -> bool:
    return sees_all(app, person) or cr.account in person.accounts or cr.assignee == person.email


def visible(app: App, person: Person) -> list[Any]:
    """The SQL conditions that keep a query to the CRs the person may see."""
    if sees_all(app, person):
        return []
    return [
        col(ChangeRequest.account).in_(list(person.accounts))
        | (col(ChangeRequest.assignee) == person.email)
    ]


def reader(app: App, person: Person) -> Audience:
    """The audience of a signed-in person."""
    return audience_of(app.settings, app.workflow.external, person.email)


def outside(app: App, person: Person) -> bool:
    return reader(app, person) is Audience.EXTERNAL


def stage_title(app: App, stage: str, audience: Audience) -> str:
    """A stage as the reader calls it: its title inside FT, her words outside."""
    wf = app.workflow
    return stage_words(wf, stage) if audience is Audience.EXTERNAL else wf.title_of(stage)


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


def people_to_filter(app: App, person: Person) -> list[Person]:
    """Whom the "waiting on" filter offers: for an external reader, only their own side."""
    if reader(app, person) is Audience.INTERNAL:
        return list(app.settings.people)
    return [
        p for p in app.settings.people if outside(app, p) and set(p.accounts) & set(person.accounts)
    ]


def accounts_of(app: App, person: Person) -> list[Any]:
    """The accounts the account filter offers."""
    return [a for a in app.settings.accounts if sees_all(app, person) or a.key in person.accounts]


def document(session: Session, cr_id: str, link_id: int) -> tuple[AttachmentLink, bytes] | None:
    link = session.get(AttachmentLink, link_id)
    if link is None or link.cr_id != cr_id:
        return None
    blob = session.get(Blob, link.sha256)
    return (link, blob.data) if blob is not None else None
