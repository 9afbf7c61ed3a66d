"""How the canary has fared, from the rounds on record (canary.py sends them): what
`mailflow status` and the metrics say about the mail route.

Read with SQLAlchemy Core (store/read_tables.py), so that `status` needs no table classes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from mailflow.store.read_tables import canary_round

if TYPE_CHECKING:
    from mailflow.config.ops import CanarySettings
    from mailflow.service.health import Verdict

ROUND = canary_round.c


def last_success(conn: Connection) -> Any:
    """The newest round that came back (with its sent_at and returned_at), or None."""
    query = select(canary_round).where(ROUND.returned_at.is_not(None))
    return conn.execute(query.order_by(ROUND.sent_at.desc())).first()


def problem(conn: Connection, now: datetime, settings: CanarySettings) -> str | None:
    """Why the canary says the mail route is broken, or None while it is fine (or off)."""
    latest = conn.execute(select(canary_round).order_by(ROUND.sent_at.desc())).first()
    if latest is None:
        return None
    if latest.error:
        return f"the last canary could not be sent: {latest.error}"
    grace = timedelta(minutes=settings.missed_after_minutes)
    due = conn.execute(
        select(canary_round).where(ROUND.sent_at <= now - grace).order_by(ROUND.sent_at.desc())
    ).first()
    if due is not None and due.returned_at is None:
        return (
            f"the canary sent {due.sent_at:%Y-%m-%d %H:%M:%S} UTC did not come back within "
            f"{settings.missed_after_minutes:g} min"
        )
    if settings.every_minutes and latest.sent_at < now - grace - timedelta(
        minutes=settings.every_minutes
    ):
        return f"no canary sent since {latest.sent_at:%Y-%m-%d %H:%M:%S} UTC"
    return None


def judge_canary(
    conn: Connection, now: datetime, settings: CanarySettings, verdict: Verdict
) -> None:
    """Add the canary's line to `mailflow status`; a missed round makes it unhealthy."""
    found = problem(conn, now, settings)
    if found is not None:
        verdict.healthy = False
        verdict.lines.append(f"canary: UNHEALTHY — {found}")
        return
    back = last_success(conn)
    if back is not None and back.returned_at is not None:
        took = (back.returned_at - back.sent_at).total_seconds()
        verdict.lines.append(
            f"canary: healthy — last round trip {back.sent_at:%Y-%m-%d %H:%M:%S} UTC "
            f"in {took:.1f} s"
        )
