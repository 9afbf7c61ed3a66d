"""Dates in replies: ISO or written-out months; day/month order asked back unless configured.

"03/04/2027" is 3 April to most of the world and March 4 to the rest; when both are real
dates and the account has no `date_order`, the sender is asked which one, with both
readings and their weekdays. A date before today is refused, and a weekday the sender
wrote must agree with the date. The written-out forms use English month names
(strptime under the C locale), which is what the request mails show.
"""

from __future__ import annotations

from datetime import date, datetime

from mailflow.workflow.conventions import Conventions
from mailflow.workflow.figures import Read
from mailflow.workflow.numbers import FigureError

_WRITTEN = (
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%d %B, %Y",
    "%B %d, %Y",
    "%b %d, %Y",
)
_WEEKDAYS = {
    name: i
    for i, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
_ORDINALS = ("st", "nd", "rd", "th")


def show_date(value: date | str) -> str:
    """`Friday 18 December 2026`: the weekday makes a misread date stand out."""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{day:%A} {day.day} {day:%B} {day.year}"


def read_date(text: str, conv: Conventions, today: date | None) -> Read:
    """The date as ISO text, or FigureError saying why it was not recorded."""
    words = text.replace(",", ", ").split()
    weekday = _WEEKDAYS.get(words[0].lower().rstrip(",.")) if words else None
    if weekday is not None:
        words = words[1:]
    cleaned = " ".join(_no_ordinal(w) for w in words).replace(" ,", ",").strip().rstrip(".")
    day = _written(cleaned) or _numeric(text, cleaned, conv)
    if weekday is not None and day.weekday() != weekday:
        raise FigureError(f"{text!r}: {show_date(day).split(' ', 1)[1]} is a {day:%A}")
    if today is not None and day < today:
        raise FigureError(f"{text!r} is in the past (today is {show_date(today)})")
    return Read(day.isoformat())


def _no_ordinal(word: str) -> str:
    core = word.rstrip(",")
    if core[:-2].isdigit() and core[-2:].lower() in _ORDINALS:
        return core[:-2] + word[len(core) :]
    return word


def _written(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", *_WRITTEN):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _numeric(raw: str, text: str, conv: Conventions) -> date:
    """dd/mm/yyyy or mm/dd/yyyy (also with "." or "-"): settled by the account or asked."""
    sep = next((s for s in "/.-" if s in text), "")
    parts = text.split(sep) if sep else []
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        raise FigureError(f"{raw!r} is not a date")
    first, second, year = parts
    if len(year) != 4:
        raise FigureError(f"{raw!r}: write the year in full (four digits)")
    day_first = _make(int(year), int(second), int(first))
    month_first = _make(int(year), int(first), int(second))
    if conv.date_order:
        chosen = day_first if conv.date_order == "DMY" else month_first
        if chosen is None:
            order = "day/month/year" if conv.date_order == "DMY" else "month/day/year"
            raise FigureError(f"{raw!r} is not a date when read as {order}")
        return chosen
    if day_first and month_first and day_first != month_first:
        raise FigureError(
            f"{raw!r} can be read as day/month or as month/day",
            [show_date(day_first), show_date(month_first)],
        )
    found = day_first or month_first
    if found is None:
        raise FigureError(f"{raw!r} is not a date")
    return found


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
