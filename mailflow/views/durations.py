"""A length of time as people say it, for every mail and page that names one."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from babel.dates import format_timedelta
from babel.lists import format_list

_EXACT = 10**9  # babel's threshold: never round "36 hours" up into "2 days"


def duration_words(span: timedelta) -> str:
    """A duration as people say it, as exact as matters: "12 days", "1 day and 4 hours",
    "5 hours", "20 minutes" (past three days the hours are noise; "120 hours" makes every
    reader do the sum)."""
    minutes = max(0, round(span.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days >= 3:
        return _words(timedelta(days=days + (hours >= 12)), "day")
    parts = []
    if days:
        parts.append(_words(timedelta(days=days), "day"))
    if hours:
        parts.append(_words(timedelta(hours=hours), "hour"))
    if not parts:
        parts.append(_words(timedelta(minutes=minutes), "minute"))
    return str(format_list(parts, locale="en"))


def _words(span: timedelta, unit: Literal["day", "hour", "minute"]) -> str:
    return str(format_timedelta(span, granularity=unit, threshold=_EXACT, locale="en"))
