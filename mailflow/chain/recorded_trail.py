"""`mailflow explain --rules` on a mail already handled: the rules as they ruled then,
beside how they would rule now.

The outcome row of a handled mail keeps its rule trail ("hit: engine; passed: duplicate,
route, …"). Beside it the rules are walked again on the same bytes without acting; the
duplicate rule, which would now recognise the mail itself, is passed over, so "now" is
how the mail would be handled were it new: a changed configuration, workflow or CR shows
as a different rule hitting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select

from mailflow.app import App
from mailflow.chain.arrival import duplicate
from mailflow.chain.context import Rule
from mailflow.chain.table import RULES
from mailflow.errors import MailflowError, ParseError
from mailflow.mail.parse import parse
from mailflow.store.message_tables import LedgerEntry

Walk = Callable[[App, bytes, datetime, tuple[Rule, ...]], list[str]]
PASSED, NOT_REACHED, NOT_ASKED, HIT = "passed", "not reached", "not asked", "HIT"


@dataclass(frozen=True)
class Recorded:
    """The outcome row of a handled mail and the rule trail it keeps."""

    entry: int
    at: datetime
    outcome: str
    reason: str
    hit: str  # "" when the row keeps no trail
    passed: tuple[str, ...]


def recorded(app: App, raw: bytes) -> Recorded | None:
    """The newest outcome of these very bytes with its rule trail; None when never handled."""
    try:
        digest = parse(raw).content_hash
        with app.db.session() as session:
            rows = session.exec(
                select(LedgerEntry)
                .where(col(LedgerEntry.content_hash) == digest)
                .order_by(col(LedgerEntry.id).desc())
            ).all()
    except (ParseError, MailflowError):
        return None
    if not rows:
        return None
    row = next((r for r in rows if r.rules), rows[0])
    hit, passed = read_trail(row.rules)
    at = row.received_at if row.received_at.tzinfo else row.received_at.replace(tzinfo=UTC)
    return Recorded(row.id or 0, at, row.outcome, row.reason, hit, passed)


def read_trail(trail: str) -> tuple[str, tuple[str, ...]]:
    """("engine", ("duplicate", "route", …)) from "hit: engine; passed: duplicate, route, …"."""
    head, _, rest = trail.partition("; passed: ")
    if not head.startswith("hit: "):
        return "", ()
    names = tuple(n.strip() for n in rest.split(",") if n.strip() and n.strip() != "(none)")
    return head.removeprefix("hit: ").strip(), names


def then_and_now(app: App, raw: bytes, now: datetime, walk: Walk) -> list[str]:
    """The lines `explain --rules` prints for one mail: the walk now, and, for a mail on
    record, its recorded trail beside it, rule by rule."""
    record = recorded(app, raw)
    if record is None:
        return walk(app, raw, now, RULES)
    rules = tuple(r for r in RULES if r.check is not duplicate)
    marks = _marks_of(walk(app, raw, now, rules))
    head = [
        f"handled {record.at:%Y-%m-%d %H:%M} UTC (entry {record.entry}): "
        f"{record.outcome}: {record.reason}",
    ]
    if not record.hit:
        head.append("no rule trail was kept with that outcome; only the walk now is shown")
    width = max(len(r.name) for r in RULES)
    lines = [*head, f"    {'rule':<{width}}  {'then':<12}  now (were it new mail)"]
    then = _then(record)
    for n, rule in enumerate(RULES, 1):
        said_now = marks.get(rule.name, "this very mail: passed over")
        lines.append(f"{n:2}. {rule.name:<{width}}  {then.get(rule.name, '?'):<12}  {said_now}")
    lines.append(_verdict(record, marks))
    return lines


def _then(record: Recorded) -> dict[str, str]:
    """Each rule's mark in the recorded trail: passed, HIT, not reached after the hit, or
    not asked (its scope did not cover the mail)."""
    if not record.hit:
        return {}
    out: dict[str, str] = {}
    reached = True
    for rule in RULES:
        if rule.name == record.hit:
            out[rule.name], reached = HIT, False
        elif rule.name in record.passed:
            out[rule.name] = PASSED
        else:
            out[rule.name] = NOT_ASKED if reached else NOT_REACHED
    return out


def _marks_of(lines: Sequence[str]) -> dict[str, str]:
    """{"route": "passed", "engine": "HIT → applied: …"} from the walk's numbered lines."""
    marks: dict[str, str] = {}
    for line in lines:
        number, dot, rest = line.strip().partition(". ")
        name, colon, mark = rest.partition(": ")
        if dot and colon and number.isdigit():
            marks[name] = mark
    return marks


def _verdict(record: Recorded, marks: dict[str, str]) -> str:
    now = next((name for name, mark in marks.items() if mark.startswith(HIT)), "")
    if not record.hit or not now:
        return "now: see the walk above"
    if now == record.hit:
        return f"now: the same rule ({now}) would decide"
    return f"now: {now} would decide, where {record.hit} decided then"
