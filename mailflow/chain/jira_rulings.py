"""The rule table for Jira's notifications: each change a notification reports gets the
ruling of the first rule of RULES that takes it.

- a comment whose author the notification does not tie to a configured person on the
  CR (by address or Jira account id, never by display name): a note; the CSM is told;
- an internal or restricted comment, an assignee or other field change: on the timeline,
  inside FT only ("jira");
- a comment by an actor of the stage, in a role that may confirm by mail (the customer
  representative), that reads as the stage's decision under the closed rule: asked once
  by mail to CONFIRM (the CSM copied), or with `[intake] jira_decisions = "trust"`
  recorded at once, when the notification passes DMARC or aligned DKIM for Jira's domain
  and reports that one change alone;
- any other comment and every status change: progress ("progress"), which the workflow's
  [audience] section lets the customer see, retold with FT's people as "FT".

Apart from what each ruling writes (jira_records.py): the rules only read, so
`mailflow explain --rules` shows the rulings of a notification without writing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from mailflow.app import App
from mailflow.config.settings import Person
from mailflow.mail.jira_notice import Author, EventKind, JiraEvent, JiraNotice
from mailflow.mail.parse import Inbound
from mailflow.reading.decide import Decision
from mailflow.reading.reply import read_reply
from mailflow.security import authresults
from mailflow.security.audience import Audience, audience_of
from mailflow.store.tables import ChangeRequest

TRUST = "trust"


class Recorded(StrEnum):
    """What becomes of one change Jira reports."""

    UNMATCHED = "a note; the CSM told (author not tied to a person on the CR)"
    INTERNAL = "on the timeline, inside FT only"
    ASK = "read as the stage's decision; its author asked once to CONFIRM"
    RECORD = "read as the stage's decision; recorded (Jira trusted)"
    PROGRESS = "progress on the timeline, shown to the customer in their words"


@dataclass(frozen=True)
class Facts:
    """What the rules know about one change."""

    app: App
    cr: ChangeRequest
    event: JiraEvent
    person: Person | None
    roles: frozenset[str]
    trusted: bool


@dataclass(frozen=True)
class Entry:
    """One change and its ruling."""

    event: JiraEvent
    recorded: Recorded
    author: str = ""
    decision: Decision | None = None
    roles: frozenset[str] = frozenset()


def _unmatched(f: Facts) -> Entry | None:
    if f.event.kind is not EventKind.COMMENT:
        return None
    if f.person is not None and (f.roles or _inside(f.app, f.person.email)):
        return None
    return Entry(f.event, Recorded.UNMATCHED)


def _internal(f: Facts) -> Entry | None:
    kinds = (EventKind.ASSIGNEE, EventKind.FIELD, EventKind.CREATED, EventKind.OTHER)
    if f.event.internal or f.event.kind in kinds:
        return Entry(f.event, Recorded.INTERNAL, _address(f))
    return None


def _decision(f: Facts) -> Entry | None:
    wf, cr = f.app.workflow, f.cr
    stage = wf.stage(cr.stage)
    if f.event.kind is not EventKind.COMMENT or stage is None or cr.held or f.person is None:
        return None
    if not f.roles & set(stage.actors) & set(wf.confirm_by_mail):
        return None
    read = read_reply(wf, cr.stage, f.event.text)
    if not isinstance(read, Decision) or wf.command(read.verb) is not None:
        return None
    if stage.reply(read.verb) is None:
        return None
    recorded = Recorded.RECORD if f.trusted else Recorded.ASK
    return Entry(f.event, recorded, f.person.email, read, f.roles)


def _progress(f: Facts) -> Entry:
    return Entry(f.event, Recorded.PROGRESS, _address(f))


RULES: tuple[tuple[str, Callable[[Facts], Entry | None]], ...] = (
    ("unmatched", _unmatched),
    ("internal", _internal),
    ("decision", _decision),
    ("progress", _progress),
)


def plan(app: App, cr: ChangeRequest, notice: JiraNotice, msg: Inbound) -> list[Entry]:
    """Each change's ruling; only the first decision read is taken, the rest are progress."""
    trusted = trust(app, msg, notice)
    entries: list[Entry] = []
    for event in notice.events:
        person = person_of(app, event.author)
        roles = app.directory.roles_of(person.email, cr.account, cr.assignee) if person else None
        facts = Facts(app, cr, event, person, roles or frozenset(), trusted)
        entry = next(e for _, rule in RULES if (e := rule(facts)) is not None)
        if entry.decision is not None and any(e.decision for e in entries):
            entry = _progress(facts)
        entries.append(entry)
    return entries


def trust(app: App, msg: Inbound, notice: JiraNotice) -> bool:
    """Whether a decision read from this notification is recorded without a CONFIRM."""
    if app.settings.jira_decisions != TRUST or len(notice.events) != 1:
        return False
    return authresults.evaluate(msg, app.settings.security.trusted_authserv_ids).passed


def person_of(app: App, author: Author) -> Person | None:
    """The configured person the notification ties the author to: address, then account id."""
    if author.address:
        person = app.settings.person(author.address)
        if person is not None:
            return person
    if not author.account_id:
        return None
    return next((p for p in app.settings.people if p.jira_account == author.account_id), None)


def _address(f: Facts) -> str:
    return f.person.email if f.person is not None else ""


def _inside(app: App, address: str) -> bool:
    return audience_of(app.settings, app.workflow.external, address) is Audience.INTERNAL
