"""The last rule: the workflow engine applies the decision, or refuses it with one of its
own named reasons (wrong sender, not expected here, a missing field…).

A rule of its own module, so that a rule which wraps it (remarks.py) need not import
the rules before it.
"""

from __future__ import annotations

from collections.abc import Sequence

from mailflow.chain.context import Context, Ruling, answered, applied
from mailflow.chain.effects import carry_out
from mailflow.mail.parse import Attachment
from mailflow.security import evidence
from mailflow.store.attachments import is_tnef, store_attachments
from mailflow.store.cr_state import state_of
from mailflow.views import decided_before, progress
from mailflow.workflow import engine
from mailflow.workflow.reasons import Refusal


def readable(attachments: Sequence[Attachment]) -> list[Attachment]:
    """The attachments that can be opened: winmail.dat (TNEF) cannot."""
    return [a for a in attachments if not is_tnef(a.filename, a.content_type)]


def workflow_engine(ctx: Context) -> Ruling:
    """The workflow engine: applies the decision, or refuses it with its own named reason."""
    cr, read, app = ctx.the_cr, ctx.decision, ctx.app
    account = app.settings.account(cr.account)
    said = engine.Said(read.verb, read.text, dict(read.fields), len(readable(ctx.msg.attachments)))
    actor = engine.Actor(ctx.author, ctx.roles)
    conventions = app.directory.conventions(cr.account)
    state = state_of(cr, account.currency if account else "", conventions)
    result = engine.apply(app.workflow, state, actor, said, ctx.now)
    stage_before, pending, verdict = cr.stage, ctx.pending, ctx.verdict
    author, attested_by = ctx.author, ctx.attested_by

    def carry(ctx: Context, ledger_id: int | None) -> None:
        session, msg, now = ctx.session, ctx.msg, ctx.now
        context = {"sender": msg.from_addr, "quoted": read.line}
        if any(
            isinstance(e, engine.Mail) and e.template == "notice/status" for e in result.effects
        ):
            wait = progress.waiting(app, cr, now)
            context["waits_on"], context["waits_on_outside"] = wait.who, wait.outside(app)
        if result.refusal in (Refusal.ALREADY_DECIDED, Refusal.NOT_EXPECTED):
            context |= decided_before.same_before(session, app, cr, author, read.verb)
        if result.applied:
            # Stored first: the next stage's request may carry the document just received.
            store_attachments(session, cr, stage_before, msg, ledger_id, now)
        carry_out(app, session, cr, result, now=now, actor=author, said=said,
                  ledger_id=ledger_id, reply_to=msg, context=context, held=ctx.held)  # fmt: skip
        if not result.applied:
            return
        assert verdict is not None, "the policy rule runs before the engine"
        evidence.keep(session, cr, stage_before, read.verb, msg, author, attested_by,
                      verdict, now, ledger_id)  # fmt: skip
        if pending is not None:
            pending.confirmed_at = now
            session.add(pending)

    if not result.applied:
        return answered(f"refused: {result.refusal}: {result.detail}", cr.id, carry)
    reason = f"{read.verb} at {stage_before}" + (" (confirmed)" if pending else "")
    reason += f", forwarded by {ctx.attested_by}" if ctx.attested_by else ""
    return applied(reason, cr.id, carry)
