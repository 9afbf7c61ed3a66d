"""Rules for a reply on a CR, up to what it says: who sent it, what it reads as, whose it is.

The order is the safety argument: a stranger is answered before a word is read; only
the new text is read; a CONFIRM stands for a decision only as the asked person's reply
to the question; a forwarded decision is someone else's and is refused unless the
original comes whole; a doubtful reply is asked back, never guessed.
"""

from __future__ import annotations

import dataclasses

from mailflow.chain import answers, confirm, remarks, thread
from mailflow.chain.context import Context, Ruling, answered
from mailflow.mail import reply_text, signature_blocks
from mailflow.reading.decide import Decision, Unclear
from mailflow.reading.reply import READ_CAP, read_message, read_reply
from mailflow.security import authorize, forwarded, policy
from mailflow.store.known import known_for, note_tail
from mailflow.workflow.reasons import Question, Refusal


def stranger(ctx: Context) -> Ruling | Context:
    """A sender with no role on the CR's account, or no single sender: the stranger answer."""
    cr, msg = ctx.the_cr, ctx.msg
    roles = ctx.app.directory.roles_of(msg.from_addr, cr.account, cr.assignee)
    check = authorize.check(msg, roles)
    if check.allowed:
        return dataclasses.replace(ctx, roles=roles, author=msg.from_addr, proof=msg)
    outcome, reason = answers.stranger_outcome(ctx.session, msg, ctx.now)

    def tell(ctx: Context, ledger_id: int | None) -> None:
        answer = reason == Refusal.NOT_AUTHORIZED
        answers.tell_stranger(ctx.app, ctx.session, msg, cr, ledger_id, check.reason, ctx.now,
                              answer=answer, held=ctx.held)  # fmt: skip

    return Ruling(outcome, reason, cr.id, tell)


def reading(ctx: Context) -> Context:
    """(step) Read the decision from the new text only, in the light of the CR's stage.

    What is on record about the sender is read with it: the remarks they confirmed and
    the signature they end their mails with. This reply's last lines are kept, for the
    signature to be found in the next one.
    """
    msg, app = ctx.msg, ctx.app
    known = known_for(ctx.session, msg.from_addr, app.settings.security)
    new = reply_text.new_text(msg.text[:READ_CAP])
    text = signature_blocks.strip_learned(new, known.signatures)
    read = read_message(app.workflow, ctx.the_cr.stage, msg.text, msg.html_text, known)
    if note_tail(ctx.session, msg.from_addr, new, app.workflow.vocabulary, ctx.now):
        known = known_for(ctx.session, msg.from_addr, app.settings.security)  # one learned
    return dataclasses.replace(ctx, text=text, reading=read, known=known)


def confirmation(ctx: Context) -> Context | None:
    """(step) A CONFIRM replying to the question its sender was asked stands for that decision.

    So does a plain yes ("Yes", "OK, thanks", "That's right": confirm.PLAIN_YES), as that
    reply and nowhere else; with no question waiting, or in any other mail, a yes is
    read as before. The yes is read again, as the whole reply, with those words as CONFIRM.
    """
    read, wf = ctx.reading, ctx.app.workflow
    said = isinstance(read, Decision) and read.verb in confirm.confirm_verbs(wf)
    if not said and not isinstance(read, Unclear):
        return None
    pending = confirm.waiting(ctx.session, ctx.the_cr, ctx.msg.from_addr)
    inbox = ctx.app.settings.shared_inbox
    if pending is None or not confirm.answers_question(ctx.session, pending, ctx.msg, inbox):
        return None
    if not isinstance(read, Decision) or not said:
        reader = confirm.yes_reader(wf)
        known = ctx.sender_known()
        read = read_message(reader, ctx.the_cr.stage, ctx.msg.text, ctx.msg.html_text, known)
        if not isinstance(read, Decision) or not confirm.plain_yes(reader, read):
            return None
    return dataclasses.replace(ctx, pending=pending, reading=confirm.as_decision(wf, pending, read))


def forwarded_decision(ctx: Context) -> Ruling | Context:
    """Someone else's decision forwarded: refused, unless accepted with the original attached."""
    cr, msg, app = ctx.the_cr, ctx.msg, ctx.app
    verb = ctx.reading.verb if isinstance(ctx.reading, Decision) else ""
    acting = policy.acting_roles(app, cr, ctx.roles, verb) if verb else frozenset()
    ctx = dataclasses.replace(ctx, acting=acting)
    found = forwarded.decision_in(
        msg, lambda text: read_reply(app.workflow, cr.stage, text), bool(acting)
    )
    if found is None:
        return ctx
    forward, read = found
    if not isinstance(read, Decision):
        return ctx
    accept = app.settings.security.accept_forwarded
    author_roles = app.directory.roles_of(forward.author, cr.account, cr.assignee)
    relayed = bool(ctx.roles & set(app.workflow.thread_owners))
    if not accept or forward.original is None:
        if relayed and thread.confirmable(app, cr, author_roles, read.verb):
            how = f"forwarded by {msg.from_addr}"
            relaying = dataclasses.replace(ctx, attested_by=msg.from_addr)
            return thread.ask_author(relaying, read, forward.author, how)
        return refusal(ctx, Refusal.FORWARDED, forwarded.refusal(forward, msg.from_addr, accept))
    return dataclasses.replace(
        ctx,
        author=forward.author,
        proof=forward.original,
        attested_by=msg.from_addr,
        roles=author_roles,
        reading=read,
        acting=policy.acting_roles(app, cr, author_roles, read.verb),
    )


def likely(ctx: Context) -> Ruling | None:
    """No decision word, but likely one that fits here ("go ahead"): asked to CONFIRM it."""
    read, cr = ctx.reading, ctx.the_cr
    if not isinstance(read, Unclear):
        return None
    verb = confirm.likely_here(ctx.app, cr, ctx.text, ctx.roles)
    if verb is None:
        return None

    def ask(ctx: Context, ledger_id: int | None) -> None:
        session, msg, now = ctx.session, ctx.msg, ctx.now
        pending = confirm.ask(session, cr, msg.from_addr, verb, read.line, ledger_id, now)
        detail = f"read as {verb}; asked to CONFIRM"
        answers.refuse(
            ctx.app,
            session,
            msg,
            cr,
            ledger_id,
            Question.LIKELY,
            detail,
            now,
            quoted=read.line,
            kind="question",
            context={"likely": verb},
            held=ctx.held,
        )
        confirm.note_question(session, pending)

    return answered(f"asked to confirm: read as {verb}", cr.id, ask)


def unclear(ctx: Context) -> Ruling | None:
    """A reply whose decision cannot be read for certain: asked back, quoting the line.

    When only remarks beside a decision stand in the way, and the sender may give that
    decision here, they are asked to CONFIRM it as written (chain/remarks.py).
    """
    read = ctx.reading
    if not isinstance(read, Unclear):
        return None
    asked = remarks.ask(ctx, read)
    if asked is not None:
        return asked
    return refusal(ctx, Refusal.UNCLEAR, remarks.plain_reason(read), quoted=read.line)


def refusal(ctx: Context, code: Refusal, detail: str, quoted: str = "") -> Ruling:
    """Answered with the reason's explanation; the CR's timeline notes the refusal."""
    cr = ctx.the_cr

    def tell(ctx: Context, ledger_id: int | None) -> None:
        answers.refuse(ctx.app, ctx.session, ctx.msg, cr, ledger_id, code, detail, ctx.now, quoted,
                       held=ctx.held)  # fmt: skip

    return answered(answers.refused(code, detail), cr.id, tell)
