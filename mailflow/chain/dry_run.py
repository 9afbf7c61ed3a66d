"""`mailflow explain --rules`: the rule table, and how one saved message would walk it.

The rules' checks run against the real database in a session that is never committed,
and no rule's action runs: nothing is recorded and nothing is sent. The answer shows
which rule would rule on the message and why, so a refusal can be traced to its rule;
for Jira's mail about a CR's issue, also each change, its author and what it would record.
"""

from __future__ import annotations

from datetime import datetime

from mailflow.app import App
from mailflow.chain import jira_progress
from mailflow.chain.context import Context, Rule, Ruling
from mailflow.chain.recorded_trail import then_and_now
from mailflow.chain.table import RULES, describe
from mailflow.errors import ParseError
from mailflow.mail.parse import parse
from mailflow.transport.base import RawMessage


def walk_without_acting(
    app: App, raw: bytes, now: datetime, rules: tuple[Rule, ...] = RULES
) -> list[str]:
    """One line per rule: passed, HIT (with the outcome), not asked, or not reached."""
    try:
        msg = parse(raw)
    except ParseError as exc:
        return [f"unreadable ({exc}): quarantined before any rule is asked"]
    session = app.db.session()
    try:
        ctx = Context(app, session, RawMessage("explain", raw), msg, now)
        return _marks(ctx, rules) + jira_progress.explain(app, session, msg)
    finally:
        session.rollback()
        session.close()


def _marks(ctx: Context, rules: tuple[Rule, ...]) -> list[str]:
    lines: list[str] = []
    for n, rule in enumerate(rules, 1):
        label = f"{n:2}. {rule.name}"
        if not rule.scope.covers(ctx):
            lines.append(f"{label}: not asked ({rule.scope.value} only)")
            continue
        ruling = rule.check(ctx)
        if not isinstance(ruling, Ruling):
            ctx = ruling or ctx
            lines.append(f"{label}: passed")
            continue
        lines.append(f"{label}: HIT → {ruling.outcome}: {ruling.reason}")
        lines += [f"{m:2}. {r.name}: not reached" for m, r in enumerate(rules[n:], n + 1)]
        break
    return lines


def print_rules(app: App, paths: list[str], now: datetime) -> int:
    """Print the table, then each message's walk; 1 when a file cannot be read."""
    print("Rules, in the order they are asked (the first hit decides):")
    for line in describe():
        print(f"  {line}")
    failed = False
    for path in paths:
        print(f"\n== {path}")
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            print(f"cannot read the file: {exc.strerror or exc}")
            failed = True
            continue
        for line in then_and_now(app, raw, now, walk_without_acting):
            print(f"  {line}")
    return 1 if failed else 0
