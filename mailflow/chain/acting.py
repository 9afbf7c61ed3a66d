"""Rules for a reply that says something clear: is its sender proven, can it be carried out.

The rule after them is the workflow engine itself (engine_rule.py).
"""

from __future__ import annotations

import dataclasses

from mailflow.chain import answers, thread
from mailflow.chain.context import Context, Ruling, answered
from mailflow.chain.engine_rule import readable, workflow_engine
from mailflow.chain.replies import refusal
from mailflow.security import evidence, policy
from mailflow.security.tokens import Mismatch
from mailflow.views import decided_before
from mailflow.workflow.reasons import Refusal

# The engine is the rule after these; the table finds it here with them.
__all__ = ["unproven", "unreadable_attachment", "workflow_engine"]


def unproven(ctx: Context) -> Ruling | Context:
    """A reply that does not prove its sender as its roles require (reply token, authentication)."""
    cr, said = ctx.the_cr, ctx.decision
    proof = ctx.proof or ctx.msg
    verdict = policy.check(
        ctx.app, ctx.session, cr, proof, ctx.author, ctx.acting, said.verb, ctx.now, ctx.attested_by
    )
    if verdict.allowed:
        return dataclasses.replace(ctx, verdict=verdict)
    if verdict.mismatch in thread.THREAD_MISMATCHES and thread.confirmable(
        ctx.app, cr, ctx.roles, said.verb
    ):
        proven = thread.authenticated(ctx.app, proof, verdict, ctx.attested_by)
        if proven is not None:
            return dataclasses.replace(ctx, verdict=proven)
        how = "forwarded" if ctx.attested_by else "not a reply to a request sent to them"
        return thread.ask_author(ctx, said, ctx.author, how)
    code, stage = Refusal(verdict.reason), cr.stage
    if verdict.mismatch == Mismatch.EARLIER_STAGE:
        code = Refusal.OLD_REQUEST

    def refuse(ctx: Context, ledger_id: int | None) -> None:
        msg, now = ctx.msg, ctx.now
        evidence.keep(
            ctx.session,
            cr,
            stage,
            said.verb,
            msg,
            ctx.author,
            ctx.attested_by,
            verdict,
            now,
            ledger_id,
        )
        context = decided_before.where_now(ctx.session, ctx.app, cr, now)
        answers.refuse(ctx.app, ctx.session, msg, cr, ledger_id, code, verdict.detail, now,
                       context=context, held=ctx.held)  # fmt: skip

    return answered(answers.refused(code, verdict.detail), cr.id, refuse)


def unreadable_attachment(ctx: Context) -> Ruling | None:
    """A decision that needs a document which came only as winmail.dat: it cannot be read."""
    said, msg = ctx.decision, ctx.msg
    stage = ctx.app.workflow.stage(ctx.the_cr.stage)
    reply = stage.reply(said.verb) if stage else None
    if reply is None or not reply.attachment or readable(msg.attachments) or not msg.attachments:
        return None
    detail = "the attachment arrived as winmail.dat (Outlook rich text), which cannot be read"
    return refusal(ctx, Refusal.UNREADABLE_ATTACHMENT, detail, quoted=said.line)
