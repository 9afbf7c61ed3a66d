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
        # summed as timedeltas (whole microseconds), divided once: exact, so after() below
        # is its inverse to the second
        total, day = timedelta(0), start.date()
        for _ in range(_MAX_DAYS):
            if day > end.date():
                break
            if self.counts(day):
                day_start = datetime.combine(day, time(0), tzinfo=start.tzinfo)
                lo = max(start, day_start)
                hi = min(end, day_start + timedelta(days=1))
                total += max(timedelta(0), hi - lo)
            day += timedelta(days=1)
        return total.total_seconds() / 3600

    def after(self, start: datetime, hours: float) -> datetime | None:
        """The first moment at which `hours` business hours have passed since start.

        The inverse of hours_between, so a due time can be stored and found by an index;
        rounded up to the whole second, so hours_between(start, after(...)) >= hours
        holds despite floating point. None when no business day comes within the horizon.
        """
        if hours <= 0:
            return start
        if self.every_day:
            return _ceil_second(start + timedelta(hours=hours))
        left, day = hours * 3600.0, start.date()
        for _ in range(_MAX_DAYS):
            day_start = datetime.combine(day, time(0), tzinfo=start.tzinfo)
            if self.counts(day):
                lo = max(start, day_start)
                span = (day_start + timedelta(days=1) - lo).total_seconds()
                if span >= left:
                    return _ceil_second(lo + timedelta(seconds=left))
                left -= span
            day += timedelta(days=1)
        return None


def _ceil_second(at: datetime) -> datetime:
    return at if not at.microsecond else at.replace(microsecond=0) + timedelta(seconds=1)


def parse_weekdays(names: list[str]) -> frozenset[int]:
    """["mon", "tue"] → {0, 1}; an unknown name raises ValueError naming the known ones."""
    out = set()
    for name in names:
        key = str(name).strip().lower()[:3]
        if key not in WEEKDAYS:
            raise ValueError(f"{name!r} is not a weekday (known: {', '.join(WEEKDAYS)})")
        out.add(WEEKDAYS.index(key))
    return frozenset(out)
