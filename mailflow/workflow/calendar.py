"""Business time: which days count when a stage's waiting time is measured.

Reminder intervals are hours of waiting; with business days configured, only the hours
of working weekdays that are not holidays count, so a CR sent on Friday evening is not
chased on Saturday. Days are UTC days, as every stored time is. Pure: no clock reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A sweep never has to look further back than this many days of non-business time.
_MAX_DAYS = 3660


@dataclass(frozen=True)
class BusinessCalendar:
    """The weekdays that count (0 = Monday) and the holidays that do not."""

    weekdays: frozenset[int] = field(default_factory=lambda: frozenset(range(7)))
    holidays: frozenset[date] = frozenset()

    @property
    def every_day(self) -> bool:
        return len(self.weekdays) == 7 and not self.holidays

    def counts(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def hours_between(self, start: datetime, end: datetime) -> float:
        """Hours from start to end that fall on business days."""
        if end <= start:
            return 0.0
        if self.every_day:
            return (end - start).total_seconds() / 3600
        total, day = 0.0, start.date()
        for _ in range(_MAX_DAYS):
            if day > end.date():
                break
            if self.counts(day):
                day_start = datetime.combine(day, time(0), tzinfo=start.tzinfo)
                lo = max(start, day_start)
                hi = min(end, day_start + timedelta(days=1))
                total += max(0.0, (hi - lo).total_seconds() / 3600)
            day += timedelta(days=1)
        return total


def parse_weekdays(names: list[str]) -> frozenset[int]:
    """["mon", "tue"] → {0, 1}; an unknown name raises ValueError naming the known ones."""
    out = set()
    for name in names:
        key = str(name).strip().lower()[:3]
        if key not in WEEKDAYS:
            raise ValueError(f"{name!r} is not a weekday (known: {', '.join(WEEKDAYS)})")
        out.add(WEEKDAYS.index(key))
    return frozenset(out)
