"""Jira's notifications about a CR's issue: progress on its timeline, a sign-off confirmed once.

The process has the engineer report progress on the CR's Jira issue and the customer
sign off UAT there. Once a CR's Jira key is recorded (the Jira tracking stage), Jira's
mail about that issue belongs to the CR: it is tied by the issue key in its subject and
body (mail/jira_notice.py), never by its thread alone, and only from the senders listed
in `[intake] jira_senders`. Jira is never answered.

Each change it reports is ruled on by the first rule of RULES that takes it:

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
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.chain import confirm, jira_intake
from mailflow.chain.context import Context, Ruling, applied
from mailflow.chain.effects import audit, carry_out, queue_mail
from mailflow.config.settings import Person
from mailflow.mail import jira_notice
from mailflow.mail.jira_notice import Author, EventKind, JiraEvent, JiraNotice
from mailflow.mail.parse import Inbound
from mailflow.reading.decide import Decision
from mailflow.reading.reply import read_reply
from mailflow.security import authresults, evidence
from mailflow.security.audience import Audience, audience_of
from mailflow.security.policy import Verdict
from mailflow.store.cr_state import state_of
from mailflow.store.tables import ChangeRequest, Confirmation, LedgerEntry
from mailflow.workflow import engine

PROGRESS, INTERNAL, NOTE = "progress", "jira", "note"
CONFIRM_TEMPLATE, UNMATCHED_TEMPLATE = "notice/jira_confirm", "notice/jira_unmatched"
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


def notification(ctx: Context) -> Ruling | None:
    """Jira's mail about a CR's recorded issue: its changes go on that CR; never answered."""
    app, msg = ctx.app, ctx.msg
    if not jira_intake.is_jira(app, msg):
        return None
    notice = jira_notice.read(msg)
    cr = recorded_for(app, ctx.session, notice.key) if notice is not None else None
    if notice is None or cr is None:
        return None  # a new issue, or another one: Jira intake rules on it
    entries = plan(app, cr, notice, msg)
    said = "; ".join(f"{e.event.kind} by {e.event.author.name}: {e.recorded.name}" for e in entries)
    reason = f"jira: {notice.key} of {cr.id}: {said or 'no change read'}"[:500]

    def act(ctx: Context, ledger_id: int | None) -> None:
        carry(ctx.app, ctx.session, cr, msg, notice, entries, ledger_id, ctx.now)

    return applied(reason, cr.id, act)


def recorded_for(app: App, session: Session, key: str) -> ChangeRequest | None:
    """The newest CR of the issue's account whose recorded Jira key is this issue."""
    account = jira_intake.account_of(app, key)
    if account is None:
        return None
    crs = session.exec(
        select(ChangeRequest)
        .where(ChangeRequest.account == account.key)
        .order_by(col(ChangeRequest.created_at).desc())
    ).all()
    return next((cr for cr in crs if _jira_key(cr) == key), None)


def _jira_key(cr: ChangeRequest) -> str:
    """The Jira key recorded on the CR ({"key": …, "url": …} as the jira field stores it)."""
    value = cr.fields.get("jira")
    key = value.get("key", "") if isinstance(value, dict) else value or ""
    return str(key).upper()


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


def detail_of(key: str, event: JiraEvent) -> str:
    """The timeline line: "Jira KEY, who: what" (the customer's copy retells who)."""
    who = event.author.name.replace(":", " ").replace(",", " ").strip() or "someone"
    change = f"{event.old} → {event.new}" if event.old else f"→ {event.new}"
    what = {
        EventKind.COMMENT: f"{'internal comment' if event.internal else 'comment'} — "
        f"{event.text[:1500]}",
        EventKind.STATUS: f"status {change}",
        EventKind.ASSIGNEE: f"assignee {change}" if event.new else event.text[:300],
        EventKind.FIELD: f"{event.field} {change}" if event.field else event.text[:300],
        EventKind.CREATED: "created the issue",
    }.get(event.kind, event.text[:300] or str(event.kind))
    return f"Jira {key}, {who}: {what}"


def carry(
    app: App,
    session: Session,
    cr: ChangeRequest,
    msg: Inbound,
    notice: JiraNotice,
    entries: list[Entry],
    ledger_id: int | None,
    now: datetime,
) -> None:
    """Write each change's ruling; a notice with no change read is noted as it came."""
    if not entries:
        detail = f"notification about {notice.key}: {msg.subject[:120]}"
        audit(session, cr, INTERNAL, detail, now, actor=msg.from_addr, ledger_id=ledger_id)
    for entry in entries:
        detail = detail_of(notice.key, entry.event)
        if entry.recorded is Recorded.PROGRESS:
            audit(session, cr, PROGRESS, detail, now, actor=entry.author, ledger_id=ledger_id)
        elif entry.recorded is Recorded.INTERNAL:
            audit(session, cr, INTERNAL, detail, now, actor=entry.author, ledger_id=ledger_id)
        elif entry.recorded is Recorded.UNMATCHED:
            _tell_csm(app, session, cr, notice.key, entry.event, detail, ledger_id, now)
        elif entry.recorded is Recorded.ASK:
            _ask(app, session, cr, msg, notice.key, entry, ledger_id, now)
        else:
            _record(app, session, cr, msg, entry, ledger_id, now)


def _tell_csm(
    app: App,
    session: Session,
    cr: ChangeRequest,
    key: str,
    event: JiraEvent,
    detail: str,
    ledger_id: int | None,
    now: datetime,
) -> None:
    audit(session, cr, NOTE, f"{detail} (author not tied to a person)", now, ledger_id=ledger_id)
    context = {"jira_key": key, "author": event.author.name, "quoted": event.text[:1000]}
    mail = engine.Mail(UNMATCHED_TEMPLATE, to_roles=app.workflow.thread_owners)
    queue_mail(app, session, cr, mail, now=now, context=context)


def _ask(
    app: App,
    session: Session,
    cr: ChangeRequest,
    msg: Inbound,
    key: str,
    entry: Entry,
    ledger_id: int | None,
    now: datetime,
) -> None:
    """Ask the author once, at their own address and the CSM copied, to CONFIRM the comment."""
    read, author = entry.decision, entry.author
    assert read is not None, "only a decision is asked about"
    spec = app.workflow.verb(read.verb)
    said = read.text if spec is not None and spec.takes_text and read.text else read.line
    pending = confirm.ask(session, cr, author, read.verb, said, ledger_id, now)
    question = engine.Mail(
        CONFIRM_TEMPLATE,
        to_sender=True,
        cc_roles=app.workflow.thread_owners,
        context={"likely": read.verb, "jira_key": key},
    )
    detail = f"{author}: a comment on Jira {key} reads as {read.verb}; asked to CONFIRM"
    result = engine.Result(state_of(cr, ""), (engine.Audit("question", detail), question))
    to_author = dataclasses.replace(msg, from_addr=author)
    context = {"sender": author, "quoted": entry.event.text[:1000]}
    carry_out(app, session, cr, result, now=now, actor=author, ledger_id=ledger_id,
              reply_to=to_author, context=context)  # fmt: skip
    confirm.note_question(session, pending, CONFIRM_TEMPLATE)


def _record(
    app: App,
    session: Session,
    cr: ChangeRequest,
    msg: Inbound,
    entry: Entry,
    ledger_id: int | None,
    now: datetime,
) -> None:
    """Record the decision at once, as a reply of its author would be (Jira trusted)."""
    read, author = entry.decision, entry.author
    assert read is not None, "only a decision is recorded"
    account = app.settings.account(cr.account)
    state = state_of(cr, account.currency if account else "", app.directory.conventions(cr.account))
    said = engine.Said(read.verb, read.text, dict(read.fields))
    result = engine.apply(app.workflow, state, engine.Actor(author, entry.roles), said, now)
    stage_before = cr.stage
    carry_out(app, session, cr, result, now=now, actor=author, said=said, ledger_id=ledger_id,
              reply_to=dataclasses.replace(msg, from_addr=author),
              context={"sender": author, "quoted": read.line})  # fmt: skip
    if result.applied:
        auth = authresults.evaluate(msg, app.settings.security.trusted_authserv_ids)
        verdict = Verdict(True, TRUST, f"a comment on Jira, trusted: {auth.detail}",
                          auth_results=auth.seen)  # fmt: skip
        evidence.keep(session, cr, stage_before, read.verb, msg, author, msg.from_addr,
                      verdict, now, ledger_id)  # fmt: skip


def reminders_wait(app: App, session: Session, cr: ChangeRequest, now: datetime) -> datetime | None:
    """Until when the CR's reminders and escalations wait, because a decision read from
    Jira waits for its author's CONFIRM: an answer in progress, not silence. It counts for
    one reminder interval of the stage from the question; None when nothing waits."""
    stage = app.workflow.stage(cr.stage)
    asked = signoff_asked_at(app, session, cr)
    if stage is None or asked is None:
        return None
    asked = asked if asked.tzinfo else asked.replace(tzinfo=UTC)
    until = app.settings.schedule.calendar.after(asked, stage.remind_hours)
    return until if until is not None and now < until else None


def signoff_asked_at(app: App, session: Session, cr: ChangeRequest) -> datetime | None:
    """When a decision read from Jira was asked to be confirmed at the CR's current stage;
    None when none waits."""
    rows = session.exec(
        select(Confirmation.asked_at, LedgerEntry.sender)
        .join(LedgerEntry, col(LedgerEntry.id) == col(Confirmation.ledger_id))
        .where(Confirmation.cr_id == cr.id)
        .where(Confirmation.stage == cr.stage)
        .where(col(Confirmation.confirmed_at).is_(None))
        .where(col(Confirmation.asked_at) >= cr.entered_at)
        .order_by(col(Confirmation.id).desc())
    ).all()
    return next((at for at, sender in rows if sender in app.settings.jira_senders), None)


def explain(app: App, session: Session, msg: Inbound) -> list[str]:
    """For `mailflow explain --rules`: the CR, and each change with its author and ruling."""
    if not jira_intake.is_jira(app, msg):
        return []
    notice = jira_notice.read(msg)
    if notice is None:
        return ["jira: no one issue key in both the subject and the body"]
    cr = recorded_for(app, session, notice.key)
    if cr is None:
        return [f"jira: {notice.key} is no CR's recorded Jira issue (Jira intake rules on it)"]
    lines = [f"jira: {notice.key} is the Jira issue of {cr.id}, at {cr.stage}"]
    for entry in plan(app, cr, notice, msg):
        author = entry.event.author
        ids = ", ".join(i for i in (author.address, author.account_id) if i) or "no address or id"
        lines.append(f"  {entry.event.kind} by {author.name} ({ids}) → {entry.author or '-'}")
        lines.append(f"    {entry.recorded}: {detail_of(notice.key, entry.event)[:200]}")
    return lines


def _address(f: Facts) -> str:
    return f.person.email if f.person is not None else ""


def _inside(app: App, address: str) -> bool:
    return audience_of(app.settings, app.workflow.external, address) is Audience.INTERNAL
