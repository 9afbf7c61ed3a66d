"""The default of every stored timestamp: now, timezone-aware UTC.

Its own module because every table module takes it, and none of them should import
another only for a clock (invariant 7: time is UTC and aware wherever it is stored).
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, aware: what a row's time fields default to."""
    return datetime.now(UTC)
