"""Where a CR stands for the people around it: whom it waits on, since when, what was recorded.

One reading shared by the command line (`cr list`, `cr show`), the STATUS? answer, the
weekly digests, reminders and the answer to a reply to an old request, so that they all
name the same people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mailflow.app import App
from mailflow.security.audience import Audience, audience_of
from mailflow.store.cr_state import StoredCR, state_of
from mailflow.workflow import reminding
from mailflow.workflow.calendar import BusinessCalendar


@dataclass(frozen=True)
class Waiting:
    """Whom a CR waits on: the roles that owe a reply, the people in them, and since when."""

    roles: tuple[str, ...]
    titles: str
    people: tuple[str, ...]
    since: datetime
    overdue: bool

    @property
    def who(self) -> str:
        """ "Customer representative (dana@acme.example)", for one line of text."""
        if not self.roles:
            return "nobody"
        names = ", ".join(self.people) or "nobody holds the role"
        return f"{self.titles} ({names})"

    def outside(self, app: App) -> str:
        """The same for an external reader: their own side by name, FT as "FT"."""
        if not self.roles:
            return "nobody"
        theirs = [
            p
            for p in self.people
            if audience_of(app.settings, app.workflow.external, p) is Audience.EXTERNAL
        ]
        return ", ".join([*theirs, *(["FT"] if len(theirs) < len(self.people) else [])])


def aware(at: datetime) -> datetime:
    """As UTC whether or not the database driver handed the zone back."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def waiting(app: App, cr: StoredCR, now: datetime) -> Waiting:
    """Whom the CR waits on now; on hold or ended, nobody."""
    wf = app.workflow
    since = aware(cr.entered_at)
    if cr.held or wf.is_end(cr.stage):
        return Waiting((), "", (), since, False)
    roles = reminding.owed(wf, state_of(cr, ""))
    people: list[str] = []
    for role in roles:
        people += [
            p.email
            for p in app.directory.holders(role, cr.account, cr.assignee)
            if p.email not in people
        ]
    titles = " and ".join(wf.roles[r].title for r in roles if r in wf.roles)
    return Waiting(roles, titles, tuple(people), since, is_overdue(app, cr, now))


def is_overdue(app: App, cr: StoredCR, now: datetime) -> bool:
    """Waiting longer than its stage's reminder interval (counted in business time)."""
    stage = app.workflow.stage(cr.stage)
    if stage is None or cr.held or stage.remind_hours <= 0:
        return False
    waited = calendar_of(app).hours_between(aware(cr.entered_at), now)
    return waited > stage.remind_hours


def calendar_of(app: App) -> BusinessCalendar:
    return app.settings.schedule.calendar


def waited(app: App, cr: StoredCR, now: datetime) -> str:
    """How long the CR has waited at its stage, in words: "3 days", "5 hours"."""
    span = now - aware(cr.entered_at)
    if span >= timedelta(days=2):
        return f"{span.days} days"
    hours = int(span.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"
