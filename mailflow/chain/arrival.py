"""Rules every message meets before it is read: duplicates, routing, machines, size, strangers.

None of these reads the reply's words: what a machine or a stranger sent is recorded
(and a person told why) without ever being taken as a decision.
"""

from __future__ import annotations

import dataclasses

from mailflow.chain import answers, bounces
from mailflow.chain.context import Context, Ruling, answered, ignored
from mailflow.chain.outcome import tell_sender
from mailflow.chain.route import RouteKind, route
from mailflow.chain.timeline import audit
from mailflow.errors import ParseError
from mailflow.mail import automated, reply_text
from mailflow.mail.automated import AutomatedKind
from mailflow.mail.parse import Inbound, parse
from mailflow.reading.reply import READ_CAP
from mailflow.security import limits
from mailflow.store import ledger
from mailflow.store.ledger import LedgerOutcome
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.tables import ChangeRequest
from mailflow.workflow.reasons import Refusal


def duplicate(ctx: Context) -> Ruling | Context:
    """The same mail read again (same bytes, or same Message-ID, sender and new text): no-op."""
    msg = ctx.msg
    if not ledger.ever_seen(ctx.session, msg.content_hash, msg.message_id):
        return dataclasses.replace(ctx, reused=None, handling=0)
    newest = ledger.latest(ctx.session, msg.content_hash)
    handling = ledger.next_handling(newest)
    if newest is not None and handling is None:
        return Ruling(LedgerOutcome.IGNORED, "duplicate", newest.cr_id, record=False)
    earlier = ledger.with_message_id(ctx.session, msg.message_id)
    for seen in earlier:
        if same_message(seen, msg):
            return ignored(f"duplicate of ledger entry {seen.id}", seen.cr_id)
    # A reused Message-ID on a different mail: handled as its own message, and said so.
    reused = earlier[0] if earlier else None
    return dataclasses.replace(ctx, reused=reused, handling=handling or 0)


def same_message(seen: LedgerEntry, msg: Inbound) -> bool:
    """Whether an earlier entry holds this mail again (re-sent with other headers)."""
    if seen.sender != msg.from_addr:
        return False
    if seen.raw is None:  # not kept (over a size limit): the subject is all there is
        return seen.subject == msg.subject[:500]
    try:
        before = parse(seen.raw)
    except ParseError:
        return False
    if before.text == msg.text:
        return True
    cap = READ_CAP  # the same cut as reading makes: no more text than that is compared
    return reply_text.new_text(before.text[:cap]) == reply_text.new_text(msg.text[:cap])


def routed(ctx: Context) -> Context:
    """(step) Tie the message to its CR: the [CR-…] subject token, then the thread headers."""
    found = route(ctx.session, ctx.msg)
    cr = found.cr
    if cr is None and found.cr_id and found.kind == RouteKind.CR:
        cr = ctx.session.get(ChangeRequest, found.cr_id)
    return dataclasses.replace(ctx, route=found, cr=cr)


def automated_mail(ctx: Context) -> Ruling | None:
    """Auto-replies, bounces, mailing lists and our own mail: recorded, never answered."""
    kind = automated.classify(ctx.msg, ctx.app.settings.own_addresses())
    if kind is None:
        return None
    cr, msg, now = ctx.cr, ctx.msg, ctx.now
    bounce = kind.kind == AutomatedKind.BOUNCE
    # A bounce on no thread of ours is recorded on the first CR whose mail it names.
    named = bounces.crs_of(ctx.session, msg) if bounce and cr is None else []

    def note(ctx: Context, ledger_id: int | None) -> None:
        bounced = bounces.record(ctx.session, msg, kind.reason, ledger_id, now) if bounce else []
        if cr is not None and cr.id not in bounced:
            detail = f"{msg.from_addr}: {msg.subject[:120]} ({kind.reason}); not read as a reply"
            audit(ctx.session, cr, kind.kind, detail, now, actor=msg.from_addr, ledger_id=ledger_id)

    cr_id = cr.id if cr is not None else (named[0] if named else None)
    return ignored(f"{kind.kind}: {kind.reason}", cr_id, note)


def too_large(ctx: Context) -> Ruling | None:
    """A message over a size limit: told which limit (a stranger gets the stranger answer)."""
    breach = limits.breach(ctx.msg, ctx.app.settings.limits)
    if breach is None:
        return None
    outcome, reason = answers.too_large_outcome(ctx.app, ctx.session, ctx.msg, breach, ctx.now)
    cr = ctx.cr

    def tell(ctx: Context, ledger_id: int | None) -> None:
        answer = outcome == LedgerOutcome.ANSWERED
        answers.tell_too_large(ctx.app, ctx.session, ctx.msg, cr, ledger_id, breach, ctx.now,
                               answer=answer, held=ctx.held)  # fmt: skip

    return Ruling(outcome, reason, cr.id if cr else None, tell, keep_raw=False)


def stranger_naming_no_cr(ctx: Context) -> Ruling | None:
    """A stranger's token naming no CR: the same answer as on a real CR, so none can be probed."""
    if ctx.route.kind != RouteKind.UNKNOWN_CR or ctx.app.settings.person(ctx.msg.from_addr):
        return None
    outcome, reason = answers.stranger_outcome(ctx.session, ctx.msg, ctx.now)

    def tell(ctx: Context, ledger_id: int | None) -> None:
        answer = outcome == LedgerOutcome.ANSWERED
        answers.tell_stranger(ctx.app, ctx.session, ctx.msg, None, ledger_id, "", ctx.now,
                              answer=answer, held=ctx.held)  # fmt: skip

    return Ruling(outcome, reason, None, tell)


def unknown_cr(ctx: Context) -> Ruling | None:
    """A [CR-…] token naming no CR: the sender is told that it does not exist."""
    if ctx.route.kind != RouteKind.UNKNOWN_CR:
        return None
    detail = f"no change request {ctx.route.cr_id} exists"

    def tell(ctx: Context, ledger_id: int | None) -> None:
        template = Refusal.UNKNOWN_CR.template
        placeholder = ctx.route.cr_id
        tell_sender(
            ctx.app,
            ctx.session,
            ctx.msg,
            template,
            ctx.now,
            placeholder_id=placeholder,
            held=ctx.held,
            detail=detail,
        )

    return answered(detail, None, tell)
