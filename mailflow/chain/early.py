"""A decision that comes before its stage is held and applied when the stage comes.

The CSM asks the customer for an in-principle approval while the CR is still at
triage, the shared inbox copied; the customer answers all "Approved." That answer is
for a stage still to come, from a person who will be asked there: it is neither
refused nor dropped, but kept (store/early.py) for the first later stage, in the
workflow's order, where one of the sender's roles acts and which takes that reply.
The sender and the CSM are told that it is kept and that nothing is needed now.

When the CR enters that stage (effects.carry_out calls `entered`, and so does applying
an answer here, which may enter the next stage), the answer is
proven as a reply-all on the CSM's thread would be there: when the policy of the
roles it acts in asks only for the sender, it is recorded through the engine like
their reply; otherwise (a reply token is needed, which an early mail cannot carry)
its author is asked once, at their own address and the CSM copied, to CONFIRM it.
An answer given to a CR whose facts changed before it got there is not recorded:
its author is told why and asked to answer the stage's request. The answers of a CR
that ends, or that passes their stage without them, lapse.

Only a clear decision qualifies, from someone with a role on the CR who does not act
at its current stage, and only a plain one (no fields, no required document): the
commands (STATUS?, HOLD, CONFIRM…) and every reply that fits the stage pass on.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlmodel import Session

from mailflow.app import App
from mailflow.chain import answers, confirm, thread
from mailflow.chain.context import Context, Ruling, applied
from mailflow.chain.results import entered_a_stage, write_result
from mailflow.chain.timeline import audit
from mailflow.config.security import SENDER
from mailflow.errors import ParseError
from mailflow.mail.parse import Inbound, parse
from mailflow.reading.decide import Decision
from mailflow.security import evidence, policy
from mailflow.security.audience import Audience, audience_of
from mailflow.store import early as held
from mailflow.store.cr_state import state_of
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.tables import ChangeRequest, EarlyAnswer
from mailflow.views.audience import external_fields, stage_words
from mailflow.workflow import engine
from mailflow.workflow.definition import Stage, Workflow
from mailflow.workflow.reasons import Question, Refusal


def later_stage(wf: Workflow, at: str, roles: frozenset[str], verb: str) -> Stage | None:
    """The first stage after `at`, in the workflow's order, where one of these roles acts
    and which takes this reply; None when there is none (or `at` is no stage)."""
    names = [s.name for s in wf.stages]
    if at not in names:
        return None
    for stage in wf.stages[names.index(at) + 1 :]:
        if roles & set(stage.actors) and stage.reply(verb) is not None:
            return stage
    return None


def unseen(app: App, cr: ChangeRequest, author: str, stage: Stage) -> bool:
    """Whether the stage approves figures of the CR that its author has not been shown: a
    customer's approval before FT approved the cost is not an approval of that cost."""
    wf = app.workflow
    if audience_of(app.settings, wf.external, author) is not Audience.EXTERNAL:
        return False
    shown = external_fields(wf, cr, ())
    return any(name in cr.fields and name not in shown for name in stage.approves)


def early_answer(ctx: Context) -> Ruling | None:
    """A clear decision for a later stage its sender acts at: held until then, not refused."""
    read, app, cr = ctx.reading, ctx.app, ctx.the_cr
    wf = app.workflow
    if not isinstance(read, Decision) or ctx.pending is not None or cr.held:
        return None
    if wf.command(read.verb) is not None or not ctx.roles:
        return None
    here = wf.stage(cr.stage)
    if here is None or ctx.roles & set(here.actors):
        return None
    stage = later_stage(wf, cr.stage, ctx.roles, read.verb)
    reply = stage.reply(read.verb) if stage is not None else None
    if stage is None or reply is None or reply.attachment or reply.fields or read.fields:
        return None  # what needs a document or figures is answered at its stage
    if (reply.reason and not read.text) or unseen(app, cr, ctx.author, stage):
        return None
    author, attested_by, verb = ctx.author, ctx.attested_by, read.verb
    acting = ctx.roles & frozenset(stage.actors)
    confirm_later = policy.policy_for(app, cr, acting, verb)[0] != SENDER
    context = {
        "verb": verb,
        "held_for": stage.title,
        "held_for_outside": stage_words(wf, stage.name),
        "confirm_later": confirm_later,
    }

    def keep(ctx: Context, ledger_id: int | None) -> None:
        session, now = ctx.session, ctx.now
        held.hold(session, cr, stage.name, author, verb, now, line=read.line, text=read.text,
                  ledger_id=ledger_id, attested_by=attested_by)  # fmt: skip
        detail = f"{verb} is for the stage {stage.title}; kept until the CR gets there"
        to_author = dataclasses.replace(ctx.msg, from_addr=author)
        answers.refuse(app, session, to_author, cr, ledger_id, Refusal.EARLY_HELD, detail, now,
                       quoted=read.line, kind="held", context=context, held=ctx.held)  # fmt: skip

    return applied(f"held for {stage.name}: {verb} from {author} at {cr.stage}", cr.id, keep)


def entered(
    app: App, session: Session, cr: ChangeRequest, result: engine.Result, now: datetime
) -> None:
    """After the CR entered a stage: its held answers for it apply; passed ones lapse."""
    if not entered_a_stage(result):
        return
    wf = app.workflow
    order = [s.name for s in wf.stages]
    for row in held.waiting(session, cr.id):
        if row.outcome:
            continue  # settled meanwhile, by an answer applied before it
        if wf.is_end(cr.stage):
            _lapse(session, cr, row, f"the change request ended ({wf.title_of(cr.stage)})", now)
        elif row.stage == cr.stage:
            _apply(app, session, cr, row, now)
        elif row.stage not in order or order.index(cr.stage) > order.index(row.stage):
            _lapse(session, cr, row, f"the change request passed {row.stage}", now)


def _lapse(session: Session, cr: ChangeRequest, row: EarlyAnswer, why: str, now: datetime) -> None:
    held.settle(session, row, held.LAPSED, now)
    detail = f"{row.actor}: the {row.verb} held for {row.stage} lapsed: {why}"
    audit(session, cr, "held", detail, now, actor=row.actor, ledger_id=row.ledger_id)


def _apply(app: App, session: Session, cr: ChangeRequest, row: EarlyAnswer, now: datetime) -> None:
    """The held answer as a reply-all on the CSM's thread at this stage: recorded, asked to
    CONFIRM, or (its CR changed since) dropped with an explanation."""
    wf = app.workflow
    stage = wf.stage(cr.stage)
    roles = app.directory.roles_of(row.actor, cr.account, cr.assignee)
    acting = roles & frozenset(stage.actors) if stage is not None else frozenset()
    if stage is None or not acting or stage.reply(row.verb) is None:
        _lapse(session, cr, row, f"{row.actor} no longer acts at {cr.stage}", now)
        return
    msg = _message(session, row)
    to_author = dataclasses.replace(msg, from_addr=row.actor)
    if held.facts_digest(cr.fields) != row.facts:
        held.settle(session, row, held.DROPPED, now)
        detail = (f"the {row.verb} held for {stage.title} was given before the change "
                  "request changed; not recorded")  # fmt: skip
        context = {"verb": row.verb, "held_on": row.received_at.strftime("%d %B %Y")}
        answers.refuse(app, session, to_author, cr, row.ledger_id, Refusal.EARLY_CHANGED,
                       detail, now, quoted=row.line, context=context)  # fmt: skip
        return
    verdict = policy.check(app, session, cr, msg, row.actor, acting, row.verb, now,
                           row.attested_by)  # fmt: skip
    if not verdict.allowed and thread.confirmable(app, cr, roles, row.verb):
        verdict = thread.authenticated(app, msg, verdict, row.attested_by) or verdict
    if not verdict.allowed:
        held.settle(session, row, held.ASKED, now)
        _ask(app, session, cr, row, msg, to_author, now)
        return
    held.settle(session, row, held.RECORDED, now)
    account = app.settings.account(cr.account)
    state = state_of(cr, account.currency if account else "", app.directory.conventions(cr.account))
    said = engine.Said(row.verb, row.text, dict(row.fields))
    result = engine.apply(wf, state, engine.Actor(row.actor, roles), said, now)
    stage_before = cr.stage
    audit(session, cr, "held", f"{row.actor}: the {row.verb} held for {cr.stage} is applied",
          now, actor=row.actor, ledger_id=row.ledger_id)  # fmt: skip
    write_result(app, session, cr, result, now=now, actor=row.actor, said=said,
                 ledger_id=row.ledger_id, reply_to=to_author,
                 context={"sender": row.actor, "quoted": row.line})  # fmt: skip
    entered(app, session, cr, result, now)
    if result.applied:
        evidence.keep(session, cr, stage_before, row.verb, msg, row.actor, row.attested_by,
                      verdict, now, row.ledger_id)  # fmt: skip


def _ask(
    app: App,
    session: Session,
    cr: ChangeRequest,
    row: EarlyAnswer,
    msg: Inbound,
    to_author: Inbound,
    now: datetime,
) -> None:
    """Ask the author once to CONFIRM the held answer, the CSM copied (as chain/thread.py)."""
    spec = app.workflow.verb(row.verb)
    said = row.text if spec is not None and spec.takes_text and row.text else row.line
    pending = confirm.ask(session, cr, row.actor, row.verb, said, row.ledger_id, now)
    owner = thread.thread_owner(session, app, cr, msg)
    detail = f"held since {row.received_at:%Y-%m-%d}; asked {row.actor} to CONFIRM {row.verb}"
    context = {"likely": row.verb, "thread_owner": owner, "forwarded_by": row.attested_by}
    answers.refuse(app, session, to_author, cr, row.ledger_id, Question.CONFIRM_AUTHOR, detail,
                   now, quoted=row.line, kind="question", context=context)  # fmt: skip
    confirm.note_question(session, pending, Question.CONFIRM_AUTHOR.template)


def _message(session: Session, row: EarlyAnswer) -> Inbound:
    """The mail that carried the answer, read again from the ledger (its proof and thread)."""
    entry = session.get(LedgerEntry, row.ledger_id) if row.ledger_id is not None else None
    if entry is not None and entry.raw:
        try:
            return parse(entry.raw)
        except ParseError:
            pass
    return Inbound(raw=b"", message_id="", content_hash="", subject="", from_addr=row.actor,
                   from_name="", to=(), cc=(), in_reply_to=None, references=(), date=None,
                   headers=(), text="", html=None)  # fmt: skip
