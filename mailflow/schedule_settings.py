"""The [schedule] settings: the business days that reminder timing counts.

Kept in one small section of its own so that the rest of the configuration is untouched:
    [schedule]
    business_days = ["mon", "tue", "wed", "thu", "fri"]   # default: every day counts
    holidays = ["2026-12-25"]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mailflow.workflow.calendar import BusinessCalendar, parse_weekdays

KEYS = frozenset({"business_days", "holidays"})


@dataclass(frozen=True)
class ScheduleSettings:
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)


def schedule_settings(raw: Any, bad: Callable[[str, str], None]) -> ScheduleSettings:
    """Read [schedule], reporting each problem with its key."""
    if raw is None:
        return ScheduleSettings()
    if not isinstance(raw, dict):
        bad("schedule", "must be a table")
        return ScheduleSettings()
    for key in raw:
        if key not in KEYS:
            bad(f"schedule.{key}", f"is not a known setting (known: {', '.join(sorted(KEYS))})")
    weekdays = frozenset(range(7))
    if "business_days" in raw:
        try:
            weekdays = parse_weekdays(list(raw["business_days"]))
        except (TypeError, ValueError) as exc:
            bad("schedule.business_days", str(exc))
        if not weekdays:
            bad("schedule.business_days", "is empty; at least one day must count")
            weekdays = frozenset(range(7))
    holidays: set[date] = set()
    for i, value in enumerate(raw.get("holidays", [])):
        try:
            holidays.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            bad(f"schedule.holidays[{i}]", f"is {value!r}; expected a date such as 2026-12-25")
    return ScheduleSettings(BusinessCalendar(weekdays, frozenset(holidays)))
