"""`mailflow cr report`: where the CRs stand, counted by the database.

At 100,000 CRs loading every row to count them in Python took seconds; here the
database groups and counts (the stage index does the work), and only the overdue and
held CRs, which are printed one by one anyway, come back as rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from mailflow.app import App
from mailflow.store.read_tables import change_request
from mailflow.views.progress import aware

CR = change_request.c


def overview(app: App, conn: Connection, now: datetime, account: str | None = None) -> str:
    """Per stage how many wait and for how long, the ended and held, then the overdue ones."""
    wf = app.workflow
    scope: list[Any] = [CR.account == account] if account else []
    counts = {
        stage: (n, aware(oldest))
        for stage, n, oldest in conn.execute(
            select(CR.stage, func.count(), func.min(CR.entered_at)).where(*scope).group_by(CR.stage)
        ).all()
    }
    if not counts:
        return "no change requests"
    late = _overdue(app, conn, now, scope)
    out = [
        "Open change requests by stage:",
        f"  {'STAGE':<36}{'OPEN':>5}{'OVERDUE':>9}{'OLDEST (days)':>15}",
    ]
    for stage in wf.stages:
        if stage.name not in counts:
            continue
        n, oldest = counts[stage.name]
        days = (now - oldest).total_seconds() / 86400
        here = sum(1 for row in late if row[1] == stage.name)
        out.append(f"  {stage.title[:35]:<36}{n:>5}{here:>9}{days:>15.1f}")
    ended = ", ".join(f"{end.title} {counts.get(end.name, (0,))[0]}" for end in wf.ends.values())
    out += ["", "Ended: " + ended]
    held = list(
        conn.execute(select(CR.id).where(CR.held.is_(True), *scope).order_by(CR.id)).scalars()
    )
    if held:
        out.append("On hold: " + ", ".join(held))
    if late:
        out += ["", "Overdue (waiting longer than the stage's reminder interval):"]
        for cr_id, stage_name, entered, reminders, title in late:
            days = (now - aware(entered)).total_seconds() / 86400
            out.append(
                f"  {cr_id}  {wf.title_of(stage_name):<30} {days:5.1f} days, "
                f"{reminders} reminder(s)  {title[:40]}"
            )
    return "\n".join(out)


def _overdue(
    app: App, conn: Connection, now: datetime, scope: list[Any]
) -> list[tuple[str, str, datetime, int, str]]:
    """The CRs not on hold that have waited past their stage's interval, longest first."""
    late = [
        and_(
            CR.stage == stage.name,
            CR.entered_at < now - timedelta(hours=stage.remind_hours),
        )
        for stage in app.workflow.stages
        if stage.remind_hours > 0
    ]
    if not late:
        return []
    query = (
        select(CR.id, CR.stage, CR.entered_at, CR.reminders, CR.title)
        .where(CR.held.is_(False), or_(*late), *scope)
        .order_by(CR.entered_at, CR.id)
    )
    return [(i, stage, at, n, title) for i, stage, at, n, title in conn.execute(query)]
