"""The CSM's thread with the customer: notes on the timeline, and decisions confirmed once.

A CSM runs the customer conversation and copies the shared inbox. Her own mail there,
with no decision in it, is a note on the CR's timeline (with whom it went to), never
a question back. A customer's decision on that thread (a reply-all to the CSM, a new
mail naming the CR, or the CSM forwarding it) is not a reply to the customer's own
request, so it proves nothing about who wrote it; rather than refuse it, mailflow asks
its author, at their own address and with the CSM copied, to reply CONFIRM. That
CONFIRM is a reply to a mail only the author received, so it carries the author's own
reply token and is checked like any reply (see confirm.py); the first mail stays on
the ledger as the evidence of what was said.
"""

from __future__ import annotations

import dataclasses
import re

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.chain import answers, confirm
from mailflow.chain.context import Context, Ruling, answered, applied
from mailflow.chain.timeline import audit
from mailflow.config.security import AUTHENTICATED
from mailflow.mail.parse import Inbound
from mailflow.reading.decide import Decision, Unclear, UnclearKind
from mailflow.security import authresults
from mailflow.security.policy import Verdict
from mailflow.security.tokens import Mismatch
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.tables import ChangeRequest
from mailflow.workflow.reasons import Question

# A missing token, or someone else's copy (a reply-all): what a decision on the CSM's
# thread looks like. A token of another stage or CR, forged or expired, is refused.
THREAD_MISMATCHES = frozenset({Mismatch.ABSENT, Mismatch.OTHER_RECIPIENT})
_NOTE_KINDS = frozenset({UnclearKind.NO_DECISION, UnclearKind.NO_TEXT})


def owner_note(ctx: Context) -> Ruling | Context | None:
    """A CSM's own mail on the thread with no decision in it: a note on the timeline.

    Where she acts herself, only a mail with no decision word is a note: a doubtful one
    ("done once QA agrees") may be her reply, so it is asked back as anyone's would be.
    """
    read, wf, cr = ctx.reading, ctx.app.workflow, ctx.the_cr
    if not isinstance(read, Unclear) or not ctx.roles & set(wf.thread_owners):
        return None
    stage = wf.stage(cr.stage)
    acts_here = stage is not None and bool(ctx.roles & set(stage.actors))
    if acts_here and read.kind not in _NOTE_KINDS:
        return None
    if read.kind is UnclearKind.REMARK and read.as_written is not None:
        # A decision with a remark, from someone who does not act here ("APPROVED /
        # Priya (for Dana)"): not a note, and not hers to give, whatever the remark says.
        # The engine tells her whose decision it is.
        return dataclasses.replace(ctx, reading=read.as_written)
    msg = ctx.msg
    detail = note_of(msg, ctx.app.settings.shared_inbox, ctx.text)

    def note(ctx: Context, ledger_id: int | None) -> None:
        audit(ctx.session, cr, "note", detail, ctx.now, actor=msg.from_addr, ledger_id=ledger_id)

    return applied("note: the CSM's mail on the thread", cr.id, note)


def note_of(msg: Inbound, inbox: str, text: str) -> str:
    """Who wrote to whom, the subject, and the first words: what the timeline shows."""
    to = [a for a in msg.to if a != inbox]
    cc = [a for a in msg.cc if a != inbox]
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    said = f"{msg.from_addr} wrote to {', '.join(to) or inbox}"
    said += f" (cc {', '.join(cc)})" if cc else ""
    subject = re.sub(r"\s+", " ", msg.subject).strip()
    return f"{said}: {subject[:120]}" + (f" — {first[:200]}" if first else "")


def confirmable(app: App, cr: ChangeRequest, author_roles: frozenset[str], verb: str) -> bool:
    """Whether a decision by someone in these roles may be confirmed by mail, not refused.

    Only a stage's own reply (never a command such as CANCEL or CONFIRM itself), and only
    from a role the workflow lets confirm by mail (the customer's).
    """
    wf = app.workflow
    stage = wf.stage(cr.stage)
    if wf.command(verb) is not None or stage is None or stage.reply(verb) is None:
        return False
    return bool(author_roles & set(stage.actors) & set(wf.confirm_by_mail))


def authenticated(app: App, proof: Inbound, verdict: Verdict, forwarded_by: str) -> Verdict | None:
    """Under the `authenticated` policy, a thread mail its domain authenticates is proven.

    The token shows a reply to the author's own request; on the CSM's thread there is
    none, but trusted Authentication-Results (DMARC or aligned DKIM pass) show the mail
    came from the author's own domain, which is what that policy asks for. A forwarded
    copy cannot show its author's authentication.
    """
    if verdict.policy != AUTHENTICATED or forwarded_by:
        return None
    auth = authresults.evaluate(proof, app.settings.security.trusted_authserv_ids)
    if not auth.passed:
        return None
    rule = f"{verdict.rule}: a mail on the CSM's thread; {auth.detail}"
    return dataclasses.replace(verdict, allowed=True, rule=rule, reason="", detail="")


def thread_owner(session: Session, app: App, cr: ChangeRequest, msg: Inbound) -> str:
    """The name of the CSM whose thread this mail answers or forwards, or "" when none."""
    owners = set(app.workflow.thread_owners)

    def owner(address: str) -> str:
        roles = app.directory.roles_of(address, cr.account, cr.assignee)
        person = app.settings.person(address)
        return (person.name or address) if person and roles & owners else ""

    if owner(msg.from_addr):
        return owner(msg.from_addr)
    cited = [m for m in (msg.in_reply_to, *msg.references) if m]
    if not cited:
        return ""
    rows = session.exec(
        select(LedgerEntry.sender)
        .where(LedgerEntry.cr_id == cr.id)
        .where(col(LedgerEntry.message_id).in_(cited))
    ).all()
    return next((owner(sender) for sender in rows if owner(sender)), "")


def ask_author(ctx: Context, read: Decision, author: str, how: str) -> Ruling:
    """Ask the decision's author, at their own address and the CSM copied, to CONFIRM it."""
    cr, msg, app = ctx.the_cr, ctx.msg, ctx.app
    spec = app.workflow.verb(read.verb)
    said = read.text if spec is not None and spec.takes_text and read.text else read.line
    owner, attested_by = thread_owner(ctx.session, app, cr, msg), ctx.attested_by

    def ask(ctx: Context, ledger_id: int | None) -> None:
        session, now = ctx.session, ctx.now
        pending = confirm.ask(session, cr, author, read.verb, said, ledger_id, now)
        # Threaded on the mail read, but addressed to its author (the CSM may have sent it).
        to_author = dataclasses.replace(msg, from_addr=author)
        detail = f"{how}; asked {author} to CONFIRM {read.verb}"
        context = {"likely": read.verb, "thread_owner": owner, "forwarded_by": attested_by}
        answers.refuse(
            app,
            session,
            to_author,
            cr,
            ledger_id,
            Question.CONFIRM_AUTHOR,
            detail,
            now,
            quoted=read.line,
            kind="question",
            context=context,
            held=ctx.held,
        )
        confirm.note_question(session, pending, Question.CONFIRM_AUTHOR.template)

    return answered(f"asked to confirm: {read.verb} from {author} ({how})", cr.id, ask)
