"""Jira's notifications about a CR's issue: progress on its timeline, a sign-off confirmed once.

The process has the engineer report progress on the CR's Jira issue and the customer
sign off UAT there. Once a CR's Jira key is recorded (the Jira tracking stage), Jira's
mail about that issue belongs to the CR: it is tied by the issue key in its subject and
body (mail/jira_notice.py), never by its thread alone, and only from the senders listed
in `[intake] jira_senders`. Jira is never answered.

Each change it reports gets a ruling from the rule table (jira_rulings.py, which lists
the rules); what each ruling writes is in jira_records.py. This module ties the
notification to its CR, and says how long a sign-off asked about holds reminders back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.chain import jira_intake
from mailflow.chain.context import Context, Ruling, applied
from mailflow.chain.jira_records import carry, detail_of
from mailflow.chain.jira_rulings import plan
from mailflow.mail import jira_notice
from mailflow.mail.parse import Inbound
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.tables import ChangeRequest, Confirmation


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
