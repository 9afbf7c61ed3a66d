"""The [schedule] settings: the business days that reminder timing counts, and when the
weekly digests go out.

Kept in one small section of its own so that the rest of the configuration is untouched:
    [schedule]
    business_days = ["mon", "tue", "wed", "thu", "fri"]   # default: every day counts
    holidays = ["2026-12-25"]
    digest_weekday = "monday"   # default: no weekly digests
    digest_hour = 8             # UTC hour from which that day's digests are sent
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mailflow.workflow.calendar import BusinessCalendar, parse_weekdays

KEYS = frozenset({"business_days", "holidays", "digest_weekday", "digest_hour"})


@dataclass(frozen=True)
class ScheduleSettings:
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    # 0 = Monday; None: no weekly digests are sent by the service (`mailflow digest` still is)
    digest_weekday: int | None = None
    digest_hour: int = 8


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
    weekday, hour = _digest_time(raw, bad)
    return ScheduleSettings(BusinessCalendar(weekdays, frozenset(holidays)), weekday, hour)


def _digest_time(raw: dict[str, Any], bad: Callable[[str, str], None]) -> tuple[int | None, int]:
    """The weekday and UTC hour of the weekly digests; no weekday means none are sent."""
    weekday: int | None = None
    if "digest_weekday" in raw:
        value = raw["digest_weekday"]
        if not isinstance(value, str):
            bad("schedule.digest_weekday", f'is {value!r}; expected a weekday such as "monday"')
        else:
            try:
                weekday = min(parse_weekdays([value]))
            except ValueError as exc:
                bad("schedule.digest_weekday", str(exc))
    hour = raw.get("digest_hour", 8)
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        bad("schedule.digest_hour", f"is {hour!r}; expected a whole hour from 0 to 23 (UTC)")
        hour = 8
    return weekday, hour
