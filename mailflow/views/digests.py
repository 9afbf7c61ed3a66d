"""What a weekly digest says: for each CSM her accounts' open CRs, whom each waits on and
since when, the overdue ones and what changed this week; for each holder of a role in the
workflow's `digest_waiting`, only the CRs that wait on that person.

Read from the store in plain words (`digest_mail.py` sends them); the same reading of
"whom a CR waits on" as `cr list` and reminders (progress.py). Customers (the workflow's
`external` roles) never get a digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.config.settings import Person
from mailflow.store.cr_tables import AuditEvent, ChangeRequest, Decision
from mailflow.views import progress

WEEK = timedelta(days=7)
# timeline kinds a digest reports, and how each reads to the CSM
_CHANGES = ("transition", "refusal", "question", "progress")


class DigestKind(StrEnum):
    """Who a digest is for: a thread owner (all her accounts' CRs) or a role they wait on."""

    CSM = "notice/digest_csm"
    WAITING = "notice/digest_executive"


@dataclass(frozen=True)
class OpenCR:
    """One open CR as a digest lists it."""

    id: str
    title: str
    account: str
    stage: str
    held: bool
    waits_on: str
    since: str
    waited: str
    overdue: bool


@dataclass(frozen=True)
class Changes:
    """What happened on one CR this week, one line per event, oldest first."""

    id: str
    title: str
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Digest:
    """One recipient's digest."""

    kind: DigestKind
    person: Person
    open: list[OpenCR]
    changes: list[Changes]

    @property
    def overdue(self) -> list[OpenCR]:
        return [c for c in self.open if c.overdue]

    def summary(self) -> str:
        """One line for `mailflow digest --dry-run`."""
        told = f"{len(self.open)} open, {len(self.overdue)} overdue"
        if self.kind is DigestKind.CSM:
            told += f", {len(self.changes)} changed this week"
        return f"{self.person.email}  {self.kind.removeprefix('notice/')}: {told}"


def recipients(app: App) -> list[tuple[DigestKind, Person]]:
    """Who gets a digest, CSMs first, in configuration order; never an external role."""
    wf = app.workflow
    owners = [r for r in wf.thread_owners if r not in wf.external]
    waited_on = [r for r in wf.digest_waiting if r not in wf.external]
    return [(DigestKind.CSM, p) for p in _holders(app, owners)] + [
        (DigestKind.WAITING, p) for p in _holders(app, waited_on)
    ]


def collect(app: App, session: Session, now: datetime) -> list[Digest]:
    """Every recipient's digest as of now."""
    return [build(app, session, kind, person, now) for kind, person in recipients(app)]


def build(app: App, session: Session, kind: DigestKind, person: Person, now: datetime) -> Digest:
    """One recipient's digest: a CSM's accounts, or the CRs that wait on this person."""
    wf = app.workflow
    if kind is DigestKind.CSM:
        accounts = {
            a for r in wf.thread_owners for a in app.directory.accounts_where(person.email, r)
        }
        crs = _crs(app, session, accounts, now - WEEK)
        open_crs = [_open(app, cr, now) for cr in crs if not wf.is_end(cr.stage)]
        return Digest(kind, person, open_crs, _changes(app, session, crs, now))
    crs = _crs(app, session, {a.key for a in app.settings.accounts}, now)
    mine = [
        cr
        for cr in crs
        if not wf.is_end(cr.stage) and person.email in progress.waiting(app, cr, now).people
    ]
    return Digest(kind, person, [_open(app, cr, now) for cr in mine], [])


def _holders(app: App, roles: list[str]) -> list[Person]:
    external = set(app.workflow.external)
    return [
        p
        for p in app.settings.people
        if any(r in p.roles for r in roles) and not external & set(p.roles)
    ]


def _crs(app: App, session: Session, accounts: set[str], since: datetime) -> list[ChangeRequest]:
    """The CRs of these accounts that are open or were last changed after `since`."""
    if not accounts:
        return []
    ends = list(app.workflow.ends)
    recent = col(ChangeRequest.stage).not_in(ends) | (col(ChangeRequest.updated_at) >= since)
    return list(
        session.exec(
            select(ChangeRequest)
            .where(col(ChangeRequest.account).in_(sorted(accounts)))
            .where(recent)
            .order_by(col(ChangeRequest.id))
        ).all()
    )


def _open(app: App, cr: ChangeRequest, now: datetime) -> OpenCR:
    wait = progress.waiting(app, cr, now)
    return OpenCR(
        id=cr.id,
        title=cr.title,
        account=_account_name(app, cr.account),
        stage=app.workflow.title_of(cr.stage),
        held=cr.held,
        waits_on=wait.who if wait.roles else "nobody while it is on hold",
        since=f"{wait.since:%Y-%m-%d}",
        waited=progress.waited(app, cr, now),
        overdue=wait.overdue,
    )


def _account_name(app: App, key: str) -> str:
    account = app.settings.account(key)
    return account.name if account else key


def _changes(app: App, session: Session, crs: list[ChangeRequest], now: datetime) -> list[Changes]:
    """Stage moves, decisions, refusals and questions of the last seven days, per CR."""
    since, titles = now - WEEK, {cr.id: cr.title for cr in crs}
    # (when, decisions before the stage moves they cause, order of recording, words)
    lines: dict[str, list[tuple[datetime, int, int, str]]] = {}
    decisions = session.exec(
        select(Decision)
        .where(col(Decision.cr_id).in_(list(titles)))
        .where(col(Decision.at) >= since)
        .where(col(Decision.at) <= now)
    ).all()
    for d in decisions:
        said = f"{d.verb} — {d.text}" if d.text else d.verb
        line = f"{d.actor}: {said} (at {app.workflow.title_of(d.stage)})"
        lines.setdefault(d.cr_id, []).append((progress.aware(d.at), 0, d.id or 0, line))
    events = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.cr_id).in_(list(titles)))
        .where(col(AuditEvent.kind).in_(_CHANGES))
        .where(col(AuditEvent.at) >= since)
        .where(col(AuditEvent.at) <= now)
    ).all()
    for e in events:
        lines.setdefault(e.cr_id, []).append((progress.aware(e.at), 1, e.id or 0, _event_line(e)))
    return [
        Changes(
            cr_id, titles[cr_id], [f"{at:%a %d %b}: {text}" for at, _, _, text in sorted(found)]
        )
        for cr_id, found in sorted(lines.items())
    ]


def _event_line(event: AuditEvent) -> str:
    """A timeline event in the digest's words; refusal details stay on the timeline."""
    who = event.actor or "someone"
    if event.kind == "transition":
        return f"moved: {event.detail}"
    if event.kind == "progress":  # reported on the CR's Jira issue
        return event.detail
    if event.kind == "question":
        return f"{who} was asked to confirm or clarify a reply"
    return f"a mail from {who} was not recorded"
