"""What the rate limits on outgoing mail held back (ratelimit.py notes it), in one line
for `mailflow status`. Read with SQLAlchemy Core (store/read_tables.py): `status` loads
neither the limits themselves nor the table classes.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Connection

from mailflow.store.read_tables import rate_limit_note

WINDOW = timedelta(hours=1)
TOTAL = "*"  # the scope of the total limit; any other scope is an address


def deferred_summary(conn: Connection, now: datetime) -> str:
    """One line for `mailflow status`: what the rate limits held back, lately and in all."""
    notes = conn.execute(select(rate_limit_note).order_by(rate_limit_note.c.id)).all()
    if not notes:
        return "rate limits: nothing held back"
    recent: Counter[str] = Counter()
    for note in notes:  # `since` is read back aware (read_tables.UtcTime)
        if note.since >= now - WINDOW:
            recent[note.scope] += note.deferred
    total = sum(n.deferred for n in notes)
    if not recent:
        return f"rate limits: nothing held back in the last hour ({total} in all)"
    parts = ", ".join(
        f"{'total limit' if scope == TOTAL else scope} {count}" for scope, count in recent.items()
    )
    return (
        f"rate limits: {sum(recent.values())} mail(s) held back in the last hour ({parts}); "
        f"{total} in all"
    )
