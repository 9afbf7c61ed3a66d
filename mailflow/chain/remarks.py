"""A decision with a remark beside it: asked to CONFIRM, recorded as written, remembered.

"Approved. After the freeze." is neither recorded as a plain APPROVED (the remark may
change what it means) nor refused outright: its sender is asked, the remark quoted, to
reply CONFIRM. That CONFIRM (confirm.py: only as a reply to the question) records the
decision as written, its fields too; the remark goes on the CR's timeline and, unless
`[security] remember_confirmed_remarks` is off, is remembered for that person
(store/known.py). The same remark from them later is taken as written, and put on the
timeline again, so the CSM sees it beside every decision it came with.

Several remarks beside one decision are asked about together: the reply is read again
with each remark taken as confirmed in turn, and only when nothing else stands in the
way (another remark, a negation, a question) is the question asked. Otherwise the reply
is asked back plainly, as any unclear one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from mailflow.chain import answers, confirm
from mailflow.chain.context import Context, Ruling, answered
from mailflow.chain.engine_rule import workflow_engine
from mailflow.chain.timeline import audit
from mailflow.reading.decide import Decision, Known, Unclear, UnclearKind, remark_key
from mailflow.reading.reply import read_message
from mailflow.store.known import remember_remark
from mailflow.store.ledger import LedgerOutcome
from mailflow.workflow.reasons import Question

MAX_REMARKS = 5  # remarks beside one decision asked about at once; more is a plain question


def ask(ctx: Context, read: Unclear) -> Ruling | None:
    """Remarks beside a decision this sender may give here: asked to CONFIRM it as written."""
    if read.kind is not UnclearKind.REMARK or read.as_written is None:
        return None
    known = ctx.sender_known()
    decision, remarks = _beside(ctx, known, lambda _key: True)
    if decision is None or decision.verb != read.as_written.verb or not _fits(ctx, decision.verb):
        return None
    cr, app, verb = ctx.the_cr, ctx.app, decision.verb
    said = "; ".join(f"'{r}'" for r in remarks)
    context = {
        "likely": verb,
        "remarks": remarks,
        "details": [(k[:1].upper() + k[1:], v) for k, v in decision.fields.items()],
        "remembered": app.settings.security.remember_confirmed_remarks,
    }

    def question(ctx: Context, ledger_id: int | None) -> None:
        session, msg, now = ctx.session, ctx.msg, ctx.now
        pending = confirm.ask(session, cr, msg.from_addr, verb, read.line, ledger_id, now,
                              text=decision.text, fields=decision.fields,
                              remarks=remarks)  # fmt: skip
        detail = f"read as {verb} with the remark {said}; asked to CONFIRM"
        answers.refuse(app, session, msg, cr, ledger_id, Question.REMARK, detail, now,
                       quoted=read.line, kind="question", context=context,
                       held=ctx.held)  # fmt: skip
        confirm.note_question(session, pending, Question.REMARK.template)

    return answered(f"asked to confirm: {verb} with a remark", cr.id, question)


def plain_reason(read: Unclear) -> str:
    """The explanation of a remark that cannot be confirmed here, without offering CONFIRM."""
    if read.kind is not UnclearKind.REMARK or read.as_written is None:
        return read.reason
    verb = read.as_written.verb
    return (
        f"You replied {verb} and also wrote '{read.remark}', which may change what {verb} "
        f"means, so nothing was recorded. Reply with just the decision you mean."
    )


def kept(ctx: Context) -> Ruling | None:
    """A decision with remarks its sender confirmed (now or before): applied, remarks shown.

    The workflow engine rules on the decision as it would; once it is applied, each
    remark goes on the CR's timeline, and a remark confirmed just now is remembered.
    """
    remarks, how = _kept_remarks(ctx)
    if not remarks:
        return None
    ruling = workflow_engine(ctx)
    if ruling.outcome is not LedgerOutcome.APPLIED or ruling.act is None:
        return ruling
    act, cr, verb, pending = ruling.act, ctx.the_cr, ctx.decision.verb, ctx.pending
    stage, author, settings = cr.stage, ctx.author, ctx.app.settings.security

    def carry(ctx: Context, ledger_id: int | None) -> None:
        act(ctx, ledger_id)
        for remark in remarks:
            detail = f"{author}: {verb} with the remark '{remark}' ({how})"
            audit(ctx.session, cr, "remark", detail, ctx.now, actor=author,
                  ledger_id=ledger_id, stage=stage)  # fmt: skip
            if pending is not None:
                remember_remark(ctx.session, author, remark, settings, ctx.now,
                                cr_id=cr.id, ledger_id=ledger_id)  # fmt: skip

    return dataclasses.replace(ruling, act=carry)


def _kept_remarks(ctx: Context) -> tuple[list[str], str]:
    """The remarks beside the decision about to be applied, and how they were confirmed."""
    pending, read, msg = ctx.pending, ctx.reading, ctx.msg
    if pending is not None:
        return list(pending.remarks), "confirmed by CONFIRM"
    if not isinstance(read, Decision) or ctx.attested_by or ctx.author != msg.from_addr:
        return [], ""
    known = ctx.sender_known()
    if not known.remarks:
        return [], ""
    plain = Known(frozenset(), known.signatures)
    decision, remarks = _beside(ctx, plain, lambda key: key in known.remarks)
    return (remarks, "a remark they confirmed before") if decision is not None else ([], "")


def _beside(
    ctx: Context, known: Known, accept: Callable[[str], bool]
) -> tuple[Decision | None, list[str]]:
    """Read the reply again, each time taking the remark asked about as confirmed, while
    `accept` allows it: the decision it then reads as, and the remarks that took."""
    wf, stage, msg = ctx.app.workflow, ctx.the_cr.stage, ctx.msg
    keys, remarks = set(known.remarks), list[str]()
    for _ in range(MAX_REMARKS + 1):
        read = read_message(
            wf, stage, msg.text, msg.html_text, Known(frozenset(keys), known.signatures)
        )
        if isinstance(read, Decision):
            return read, remarks
        key = remark_key(read.remark)
        if read.kind is not UnclearKind.REMARK or not key or key in keys or not accept(key):
            break
        if len(remarks) == MAX_REMARKS:
            break
        keys.add(key)
        remarks.append(read.remark)
    return None, remarks


def _fits(ctx: Context, verb: str) -> bool:
    """Whether the verb is a reply of the CR's stage that this sender's roles may give."""
    wf, cr = ctx.app.workflow, ctx.the_cr
    stage = wf.stage(cr.stage)
    if stage is None or stage.reply(verb) is None or wf.command(verb) is not None:
        return False
    return bool(ctx.roles & set(stage.actors))
