"""Reminders and escalations: who is chased, why, and what the next sweep would send.

The engine decides (engine.remind: only the actors who still owe a reply; escalations
internal, around a late executive); this module feeds it the CR, the business-day
calendar and the out-of-office notes, and carries the result out or only describes it
(`mailflow remind --dry-run`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.chain import jira_progress
from mailflow.chain.effects import carry_out
from mailflow.store.cr_state import state_of
from mailflow.store.tables import AuditEvent, ChangeRequest, SettingMark
from mailflow.views.durations import duration_words
from mailflow.workflow import engine
from mailflow.workflow.engine import Mail, Result
from mailflow.workflow.reminder_due import next_reminder, timing_digest

log = logging.getLogger(__name__)
TIMING_MARK = "reminder_times"
RETIME_CHUNK = 2000


def _waited(mail: Mail) -> str:
    """How long the reminded people have waited, in words (the engine counts hours)."""
    return duration_words(timedelta(hours=float(mail.context.get("waiting_hours") or 0)))


def open_ids(app: App, session: Session) -> list[str]:
    """Every CR not ended and not on hold (a held CR is never chased)."""
    return list(
        session.exec(
            select(ChangeRequest.id)
            .where(col(ChangeRequest.stage).not_in(list(app.workflow.ends)))
            .where(col(ChangeRequest.held).is_(False))
            .order_by(col(ChangeRequest.id))
        ).all()
    )


def due_ids(session: Session, now: datetime, limit: int | None = None) -> list[str]:
    """The CRs whose next reminder time has come, soonest first: one index range read, so
    a sweep with nothing due costs the same at 100,000 CRs as at 1,000."""
    query = (
        select(ChangeRequest.id)
        .where(col(ChangeRequest.next_reminder_at).is_not(None))
        .where(col(ChangeRequest.next_reminder_at) <= now)
        .order_by(col(ChangeRequest.next_reminder_at), col(ChangeRequest.id))
    )
    return list(session.exec(query.limit(limit) if limit else query).all())


def sweep(app: App, now: datetime, stopping: Callable[[], bool] = lambda: False) -> int:
    """Send every reminder and escalation due now, one CR per transaction; the count sent."""
    if not retime(app, now, stopping):
        return 0
    with app.db.session() as session:
        ids = due_ids(session, now)
    sent = 0
    for cr_id in ids:
        if stopping():
            break
        with app.db.transaction() as session:
            cr = session.get(ChangeRequest, cr_id)
            sent += bool(cr is not None and send(app, session, cr, now))
    return sent


def retime(app: App, now: datetime, stopping: Callable[[], bool] = lambda: False) -> bool:
    """Recompute every open CR's due time when the reminder settings changed since the
    stored times were computed; True once the stored times match today's settings.

    A time stored too early is caught by `send` anyway; one stored too late (a shortened
    interval, a day that now counts) would otherwise hold a reminder back for days. The
    work goes in chunks of its own transactions; the new digest is stored last, so a stop
    half-way resumes at the next sweep.
    """
    digest = timing_digest(app.workflow, app.settings.schedule.calendar)
    with app.db.session() as session:
        mark = session.get(SettingMark, TIMING_MARK)
        if mark is not None and mark.digest == digest:
            return True
        first = mark is None  # a new database, or one from before digests were kept
    changed, last = 0, ""
    while True:
        if stopping():
            return False
        with app.db.transaction() as session:
            crs = session.exec(
                select(ChangeRequest)
                .where(col(ChangeRequest.stage).not_in(list(app.workflow.ends)))
                .where(col(ChangeRequest.id) > last)
                .order_by(col(ChangeRequest.id))
                .limit(RETIME_CHUNK)
            ).all()
            for cr in crs:
                at = due_time(app, cr)
                if at != cr.next_reminder_at:
                    cr.next_reminder_at = at
                    session.add(cr)
                    changed += 1
        if len(crs) < RETIME_CHUNK:
            break
        last = crs[-1].id
    try:
        with app.db.transaction() as session:
            mark = session.get(SettingMark, TIMING_MARK) or SettingMark(name=TIMING_MARK, digest="")
            mark.digest, mark.changed_at = digest, now
            session.add(mark)
    except IntegrityError:  # another process stored the same digest first
        pass
    if changed or not first:
        log.info("reminder settings changed: due times recomputed, %d open CR(s) moved", changed)
    return True


def _state(app: App, cr: ChangeRequest) -> engine.CRState:
    account = app.settings.account(cr.account)
    return state_of(cr, account.currency if account else "")


def due_time(app: App, cr: ChangeRequest) -> datetime | None:
    """When the sweep must look at this CR next under today's settings (see reminder_due)."""
    return next_reminder(app.workflow, _state(app, cr), app.settings.schedule.calendar)


def due(app: App, cr: ChangeRequest, now: datetime) -> Result | None:
    """The reminder or escalation this CR is due now, or None."""
    state = _state(app, cr)
    elapsed = app.settings.schedule.calendar.hours_between
    return engine.remind(app.workflow, state, now, app.settings.escalate_after, elapsed)


def send(app: App, session: Session, cr: ChangeRequest, now: datetime) -> bool:
    """Carry out what is due on one CR, in the caller's transaction; True when sent."""
    waits = jira_progress.reminders_wait(app, session, cr, now)
    if waits is not None:  # a sign-off from Jira waits for its CONFIRM: not silence
        cr.next_reminder_at = waits
        session.add(cr)
        return False
    result = due(app, cr, now)
    if result is None:
        # Not due after all (a time stored before the workflow or the business days
        # changed, or from an upgrade's backfill): store the right time, so the next
        # sweep does not read this CR again.
        cr.next_reminder_at = due_time(app, cr)
        session.add(cr)
        return False
    notes = session.exec(
        select(AuditEvent.detail)
        .where(AuditEvent.cr_id == cr.id)
        .where(AuditEvent.kind == "auto-reply")
        .where(AuditEvent.at >= cr.entered_at)
    ).all()
    context: dict[str, object] = {"autoreplies": list(notes)}
    for mail in (e for e in result.effects if isinstance(e, Mail)):
        if "waiting_hours" in mail.context:
            context["waited"] = _waited(mail)
    carry_out(app, session, cr, result, now=now, actor="mailflow", context=context)
    return True


def preview(app: App, session: Session, now: datetime) -> list[str]:
    """One line per mail the next sweep would send: CR, what, to whom, copied, and why."""
    lines = []
    for cr_id in due_ids(session, now):
        cr = session.get(ChangeRequest, cr_id)
        result = due(app, cr, now) if cr is not None else None
        if cr is None or result is None or jira_progress.reminders_wait(app, session, cr, now):
            continue
        for mail in (e for e in result.effects if isinstance(e, Mail)):
            to = _people(app, cr, mail.to_roles)
            cc = _people(app, cr, mail.cc_roles)
            waited = _waited(mail)
            why = (
                f"waiting {waited} at "
                f"{app.workflow.title_of(cr.stage)} for the {mail.context.get('late')}"
            )
            kind = mail.template.removeprefix("notice/")
            line = f"{cr.id}  {kind} {mail.context.get('count')}  to {', '.join(to) or '-'}"
            line += f"  cc {', '.join(cc)}" if cc else ""
            lines.append(f"{line}  ({why})")
    return lines


def _people(app: App, cr: ChangeRequest, roles: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for role in roles:
        out += [
            p.email
            for p in app.directory.holders(role, cr.account, cr.assignee)
            if p.email not in out
        ]
    return out
