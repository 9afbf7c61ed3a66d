"""Rules for a reply that says something clear: is its sender proven, can it be carried out.

The last rule is the workflow engine itself: it applies the decision or refuses it
with one of its own named reasons (wrong sender, not expected here, a missing field…).
"""

from __future__ import annotations

from collections.abc import Sequence

from mailflow.chain import answers, thread
from mailflow.chain.context import Context, Ruling, answered, applied
from mailflow.chain.effects import carry_out
from mailflow.chain.replies import refusal
from mailflow.mail.parse import Attachment
from mailflow.security import evidence, policy
from mailflow.security.tokens import Mismatch
from mailflow.store.attachments import is_tnef, store_attachments
from mailflow.store.cr_state import state_of
from mailflow.views import progress
from mailflow.workflow import engine
from mailflow.workflow.reasons import Refusal


def unproven(ctx: Context) -> Ruling | None:
    """A reply that does not prove its sender as its roles require (reply token, authentication)."""
    cr, said = ctx.the_cr, ctx.decision
    proof = ctx.proof or ctx.msg
    verdict = policy.check(
        ctx.app, ctx.session, cr, proof, ctx.author, ctx.acting, said.verb, ctx.now, ctx.attested_by
    )
    ctx.verdict = verdict
    if verdict.allowed:
        return None
    if verdict.mismatch in thread.THREAD_MISMATCHES and thread.confirmable(
        ctx.app, cr, ctx.roles, said.verb
    ):
        proven = thread.authenticated(ctx.app, proof, verdict, ctx.attested_by)
        if proven is not None:
            ctx.verdict = proven
            return None
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
        context = progress.where_now(ctx.session, ctx.app, cr, now)
        answers.refuse(
            ctx.app, ctx.session, msg, cr, ledger_id, code, verdict.detail, now, context=context
        )

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

    def carry(ctx: Context, ledger_id: int | None) -> None:
        session, msg, now, author = ctx.session, ctx.msg, ctx.now, ctx.author
        context = {"sender": msg.from_addr, "quoted": read.line}
        if any(
            isinstance(e, engine.Mail) and e.template == "notice/status" for e in result.effects
        ):
            wait = progress.waiting(app, cr, now)
            context["waits_on"], context["waits_on_outside"] = wait.who, wait.outside(app)
        if result.refusal in (Refusal.ALREADY_DECIDED, Refusal.NOT_EXPECTED):
            context |= progress.same_before(session, app, cr, author, read.verb)
        if result.applied:
            # Stored first: the next stage's request may carry the document just received.
            store_attachments(session, cr, stage_before, msg, ledger_id, now)
        carry_out(app, session, cr, result, now=now, actor=author, said=said,
                  ledger_id=ledger_id, reply_to=msg, context=context)  # fmt: skip
        if not result.applied:
            return
        assert verdict is not None, "the policy rule runs before the engine"
        evidence.keep(session, cr, stage_before, read.verb, msg, author, ctx.attested_by,
                      verdict, now, ledger_id)  # fmt: skip
        if pending is not None:
            pending.confirmed_at = now
            session.add(pending)

    if not result.applied:
        return answered(f"refused: {result.refusal}: {result.detail}", cr.id, carry)
    reason = f"{read.verb} at {stage_before}" + (" (confirmed)" if pending else "")
    reason += f", forwarded by {ctx.attested_by}" if ctx.attested_by else ""
    return applied(reason, cr.id, carry)
