"""The [schedule] table: the business days that reminder timing counts, and when the
weekly digests go out.

    [schedule]
    business_days = ["mon", "tue", "wed", "thu", "fri"]   # default: every day counts
    holidays = ["2026-12-25"]
    digest_weekday = "monday"   # default: no weekly digests
    digest_hour = 8             # UTC hour from which that day's digests are sent
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field

from mailflow.config.table import Table, default_of
from mailflow.workflow.calendar import WEEKDAYS, BusinessCalendar, parse_weekdays


def _weekdays(names: list[str]) -> list[str]:
    if not parse_weekdays(names):
        raise ValueError("is empty; at least one day must count")
    return names


def _weekday(name: str) -> str:
    parse_weekdays([name])
    return name


def _day(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"is {value!r}; expected a date such as 2026-12-25") from None


class ScheduleTable(Table):
    business_days: Annotated[list[str], AfterValidator(_weekdays)] = Field(
        default=list(WEEKDAYS),
        description="Days that count toward a step's reminder interval: only hours on these "
        "weekdays, and not on the holidays, are counted.",
    )
    holidays: list[Annotated[date | str, AfterValidator(_day)]] = Field(
        default=[], description="Days that do not count, such as 2026-12-25."
    )
    digest_weekday: Annotated[str, AfterValidator(_weekday)] | None = Field(
        default=None,
        description="The weekday the weekly digests go out (none are sent by the service "
        "without it; `mailflow digest` sends them at once).",
    )
    digest_hour: int = Field(
        default=8, ge=0, le=23, description="The UTC hour from which that day's digests go out."
    )

    def settings(self) -> ScheduleSettings:
        holidays = frozenset(_day(d) for d in self.holidays)
        calendar = BusinessCalendar(parse_weekdays(self.business_days), holidays)
        weekday = min(parse_weekdays([self.digest_weekday])) if self.digest_weekday else None
        return ScheduleSettings(calendar, weekday, self.digest_hour)


@dataclass(frozen=True)
class ScheduleSettings:
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    # 0 = Monday; None: no weekly digests are sent by the service (`mailflow digest` still is)
    digest_weekday: int | None = None
    digest_hour: int = default_of(ScheduleTable, "digest_hour")
