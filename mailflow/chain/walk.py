"""The one loop: ask each rule in turn; the first that rules decides the message's outcome.

`conclude` is the only place an inbound message's outcome is written to the ledger
(DESIGN invariant 1); the quarantine of a message that could not be handled goes
through the same `write_outcome`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from mailflow.chain.answer_cap import capped
from mailflow.chain.context import Context, Rule, Ruling
from mailflow.chain.outcome import Handled
from mailflow.mail.parse import Inbound
from mailflow.store import ledger
from mailflow.store.ledger import LedgerOutcome
from mailflow.store.tables import LedgerEntry
from mailflow.transport.base import RawMessage


def walk(ctx: Context, rules: Sequence[Rule]) -> Handled:
    """Ask the rules in order and conclude with the first ruling.

    Each branch of the table ends in a rule that always rules, so falling off the end
    is a bug in the table, raised (and the message quarantined) rather than dropped.
    """
    passed: list[str] = []
    for rule in rules:
        if not rule.scope.covers(ctx):
            continue
        ruling = rule.check(ctx)
        if ruling is not None:
            return conclude(ctx, capped(ctx, ruling), trail(rule.name, passed))
        passed.append(rule.name)
    raise AssertionError(f"no rule ruled on the message; passed {passed}")


def trail(hit: str, passed: Sequence[str]) -> str:
    """The rule that hit and those passed before it, as kept on the ledger entry."""
    return f"hit: {hit}; passed: {', '.join(passed) or '(none)'}"


def conclude(ctx: Context, ruling: Ruling, rules: str) -> Handled:
    """Record the ruling in the ledger, then carry it out under the ledger row's id."""
    if not ruling.record:
        return Handled(ruling.outcome, ruling.reason, ruling.cr_id, duplicate=True)
    suffix = ""
    if ctx.reused is not None:
        suffix = f" (Message-ID also on ledger entry {ctx.reused.id}, a different message)"
    reason = ruling.reason + suffix
    entry = write_outcome(
        ctx.session,
        ctx.raw,
        ctx.msg,
        ruling.outcome,
        reason,
        cr_id=ruling.cr_id,
        keep_raw=ruling.keep_raw,
        at=ctx.now,
        rules=rules,
    )
    settled = ruling.act(ctx, entry.id) if ruling.act is not None else None
    if settled is not None:
        entry.cr_id = settled.cr_id
        entry.reason = settled.reason + suffix if settled.reason else entry.reason
        ctx.session.add(entry)
    return Handled(LedgerOutcome(entry.outcome), entry.reason, entry.cr_id)


def write_outcome(
    session: Session,
    raw: RawMessage,
    msg: Inbound | None,
    outcome: LedgerOutcome,
    reason: str,
    *,
    cr_id: str | None = None,
    keep_raw: bool = True,
    at: datetime | None = None,
    rules: str = "",
    content_hash: str = "",
) -> LedgerEntry:
    """The ledger row of one inbound message (a message that could not be parsed has no msg)."""
    return ledger.record(
        session,
        content_hash=msg.content_hash if msg else content_hash,
        outcome=outcome,
        reason=reason,
        message_id=msg.message_id if msg else "",
        source_key=raw.key,
        sender=msg.from_addr if msg else "",
        subject=msg.subject if msg else "",
        cr_id=cr_id,
        raw=raw.data if keep_raw else None,
        at=at,
        rules=rules,
    )
