"""The one loop: ask each rule in turn; the first that rules decides the message's outcome.

`conclude` is the only place an inbound message's outcome is written to the ledger
(DESIGN invariant 1), once, with the ruling already final (the answer cap has had its
say); the quarantine of a message that could not be handled goes through the same
`write_outcome`. Ledger rows are never edited afterwards.
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
from mailflow.transport.base import RawMessage


def walk(ctx: Context, rules: Sequence[Rule]) -> Handled:
    """Ask the rules in order and conclude with the first ruling.

    A rule that passes with what it learned hands the loop a new context for the rules
    after it. Each branch of the table ends in a rule that always rules, so falling off
    the end is a bug in the table, raised (and the message quarantined) rather than dropped.
    """
    passed: list[str] = []
    for rule in rules:
        if not rule.scope.covers(ctx):
            continue
        found = rule.check(ctx)
        if isinstance(found, Ruling):
            return conclude(ctx, capped(ctx, found), trail(rule.name, passed))
        if found is not None:
            ctx = found
        passed.append(rule.name)
    raise AssertionError(f"no rule ruled on the message; passed {passed}")


def trail(hit: str, passed: Sequence[str]) -> str:
    """The rule that hit and those passed before it, as kept on the ledger entry."""
    return f"hit: {hit}; passed: {', '.join(passed) or '(none)'}"


def conclude(ctx: Context, ruling: Ruling, rules: str) -> Handled:
    """Record the ruling in the ledger as it stands, then carry it out under the row's id.

    The ruling is final here: its outcome, reason and CR are written once and the row is
    not touched again; what the action does points at the row, never back into it.
    """
    if not ruling.record:
        return Handled(ruling.outcome, ruling.reason, ruling.cr_id, duplicate=True)
    reason = ruling.reason
    if ctx.reused is not None:
        reason += f" (Message-ID also on ledger entry {ctx.reused.id}, a different message)"
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
        text_digest=ruling.text_digest,
        handling=ctx.handling,
    )
    if ruling.act is not None:
        ruling.act(ctx, entry.id)
    return Handled(ruling.outcome, entry.reason, ruling.cr_id)


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
    text_digest: str = "",
    handling: int = 0,
) -> ledger.Recorded:
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
        text_digest=text_digest,
        handling=handling,
    )
