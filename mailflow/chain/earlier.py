"""A reply to a request of an earlier stage, or of an earlier round of the same stage.

Every mail mailflow sends on a CR belongs to the stage instance the CR stood at when it
was sent: the stage and the moment the CR entered it, which is what the copy's reply
token is minted for. A person who answers such a mail after the CR moved on, or after
it came back to the same stage (a rejection, a correction), answers a question that is
no longer asked: an "Approved" to the in-principle request is not the customer's
approval of the cost, whatever the sender policy. The reply is refused and recorded,
and its sender is told in plain words what that mail asked, what was recorded from
them then, and where the CR stands now.

Only the mail a reply answers counts: its In-Reply-To, else the last References entry,
else a reply token in a sub-address. A reply to a person's mail (the CSM's thread) or a
fresh mail naming the CR answers no request of ours and is handled as before. Commands
(STATUS?, HOLD, CANCEL…) answer no stage and pass, as do a CONFIRM that answers its own
question and a thread owner's mail without a decision (a note, or a forward that the
next rules read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import cast

from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.chain import answers
from mailflow.chain.context import Context, Ruling, answered
from mailflow.mail.parse import Inbound
from mailflow.reading.decide import Decision, Unclear
from mailflow.security import authresults, evidence, policy, tokens
from mailflow.security.policy import Verdict
from mailflow.store import outbox
from mailflow.store.message_tables import OutboxRow
from mailflow.store.tables import ChangeRequest
from mailflow.store.tables import Decision as Recorded
from mailflow.views import progress
from mailflow.views.progress import aware
from mailflow.workflow.definition import Workflow
from mailflow.workflow.reasons import Refusal

# The engine's reminder mail: it asks again for the reply its stage's request asked for.
REMINDER = "notice/reminder"


# Our mails are looked up by their headers; their bytes are read only when quoted.
_WITHOUT_BYTES = defer(cast(QueryableAttribute[bytes], OutboxRow.data))


@dataclass(frozen=True)
class Earlier:
    """Our mail that a reply answers, sent at an earlier stage instance of the CR."""

    row: OutboxRow
    stage: str  # the stage the CR stood at when the mail was sent ("" when unknown)
    found_by: str  # the part of the reply that names it

    @property
    def sent(self) -> datetime:
        return aware(self.row.created_at)


def earlier_request(ctx: Context) -> Ruling | None:
    """A reply to a request of an earlier stage or round: it never counts for the current one."""
    read, app, cr = ctx.reading, ctx.app, ctx.the_cr
    wf = app.workflow
    if ctx.pending is not None:
        return None  # a CONFIRM that answers its own question stands for that decision
    if isinstance(read, Decision) and wf.command(read.verb) is not None:
        return None
    if isinstance(read, Unclear) and ctx.roles & set(wf.thread_owners):
        return None
    earlier = answered_earlier(app, ctx.session, cr, ctx.msg)
    if earlier is None:
        return None
    code, detail = Refusal.EARLIER_REQUEST, describe(wf, cr, earlier)
    verb = read.verb if isinstance(read, Decision) else ""
    quoted = read.line if read is not None else ""
    roles = ctx.roles

    def refuse(ctx: Context, ledger_id: int | None) -> None:
        session, msg, now = ctx.session, ctx.msg, ctx.now
        if verb:
            verdict = refusal_verdict(app, cr, roles, msg, verb, earlier, detail)
            evidence.keep(
                session, cr, cr.stage, verb, msg, msg.from_addr, "", verdict, now, ledger_id
            )
        # held: the answer is noted on the timeline, not sent, so nothing explains it
        context = (
            {} if ctx.held else where_now(app, session, cr, msg.from_addr, roles, earlier, now)
        )
        answers.refuse(app, session, msg, cr, ledger_id, code, detail, now, quoted, context=context,
                       held=ctx.held)  # fmt: skip

    return answered(answers.refused(code, detail), cr.id, refuse)


def answered_earlier(app: App, session: Session, cr: ChangeRequest, msg: Inbound) -> Earlier | None:
    """Our mail the reply answers, when it was sent at an earlier stage instance of the CR."""
    found = answered_mail(session, app.settings.shared_inbox, cr.id, msg)
    if found is None or of_this_round(app, cr, found[0]):
        return None
    row, how = found
    return Earlier(row, stage_of(session, app.workflow, row), how)


def answered_mail(
    session: Session, inbox: str, cr_id: str, msg: Inbound
) -> tuple[OutboxRow, str] | None:
    """(our mail on this CR that the reply answers, how it names it), or None.

    The parent a mail client names is the one answered; a token in a sub-address
    speaks only when the thread headers name no parent at all.
    """
    parent, how = msg.in_reply_to, "In-Reply-To"
    if not parent and msg.references:
        parent, how = msg.references[-1], "References"
    if parent:
        row = session.exec(
            select(OutboxRow).options(_WITHOUT_BYTES).where(OutboxRow.message_id == parent)
        ).first()
        return (row, how) if row is not None and row.cr_id == cr_id else None
    for token, where in tokens.found_in(msg, inbox):
        if not where.endswith("sub-address"):
            continue
        row = session.exec(
            select(OutboxRow).where(col(OutboxRow.message_id).contains(token)).limit(1)
        ).first()
        if row is not None and row.cr_id == cr_id:
            return row, where
    return None


def of_this_round(app: App, cr: ChangeRequest, row: OutboxRow) -> bool:
    """Whether our mail was sent at the CR's current stage instance.

    Its reply token says so exactly (it was minted for the stage and the moment the CR
    entered it); a mail whose key is no longer configured is judged by its time.
    """
    ring = tokens.keyring(app.settings)
    found = tokens.TOKEN_RE.search(row.message_id)
    keys = {tokens.key_id(key) for key in (ring.current, *ring.previous)}
    if found is None or not row.recipients or found.group(1).lower() not in keys:
        return aware(row.created_at) >= aware(cr.entered_at)
    instance = tokens.stage_instance(cr.stage, cr.entered_at)
    sent = aware(row.created_at)  # checked as of its sending: an expired token still tells
    token = found.group(0).lower()
    return tokens.verify(ring, token, cr.id, instance, row.recipients[0], sent, None).valid


def stage_of(session: Session, wf: Workflow, row: OutboxRow) -> str:
    """The stage a mail of ours was about: a request names it; any other mail belongs to
    the newest request sent before it (a reminder, or the acknowledgment of its reply)."""
    requests = {stage.template: stage.name for stage in wf.stages}
    if row.template in requests:
        return requests[row.template]
    before = session.exec(
        select(OutboxRow.template)
        .where(OutboxRow.cr_id == row.cr_id)
        .where(col(OutboxRow.template).in_(list(requests)))
        .where(col(OutboxRow.id) <= row.id)
        .order_by(col(OutboxRow.id).desc())
        .limit(1)
    ).first()
    return requests.get(before or "", "")


def describe(wf: Workflow, cr: ChangeRequest, earlier: Earlier) -> str:
    """The refusal for the ledger, the timeline and the evidence (internal words allowed)."""
    row, entered = earlier.row, aware(cr.entered_at)
    what = f"{row.template} of {earlier.sent:%Y-%m-%d %H:%M} UTC ({earlier.found_by})"
    if earlier.stage == cr.stage:
        return (
            f"answers {what}, an earlier round of {wf.title_of(cr.stage)}; "
            f"the stage was entered again at {entered:%Y-%m-%d %H:%M} UTC"
        )
    at = wf.title_of(earlier.stage) if earlier.stage else "an earlier stage"
    now = wf.title_of(cr.stage)
    return f"answers {what}, sent at {at}; the CR is at {now} since {entered:%Y-%m-%d %H:%M} UTC"


def refusal_verdict(
    app: App,
    cr: ChangeRequest,
    roles: frozenset[str],
    msg: Inbound,
    verb: str,
    earlier: Earlier,
    detail: str,
) -> Verdict:
    """The evidence of the refusal: the policy that would have applied, and why it did not."""
    acting = policy.acting_roles(app, cr, roles, verb)
    chosen, why = policy.policy_for(app, cr, acting, verb)
    auth = authresults.evaluate(msg, app.settings.security.trusted_authserv_ids)
    thread = f"{earlier.found_by} names a mail of an earlier stage instance"
    return Verdict(
        False,
        chosen,
        f"{chosen} ({why})",
        Refusal.EARLIER_REQUEST.value,
        detail,
        token_check=thread,
        auth_results=auth.seen,
    )


def where_now(
    app: App,
    session: Session,
    cr: ChangeRequest,
    sender: str,
    roles: frozenset[str],
    earlier: Earlier,
    now: datetime,
) -> dict[str, object]:
    """What the answer tells the sender: the mail answered, their replies to it, the CR now.

    Only the sender's own decisions are read back. An external reader is not told which
    internal people the CR waits on, nor the name of a stage that did not ask them for
    anything (DESIGN invariant 9).
    """
    wf, row = app.workflow, earlier.row
    external = bool(roles & set(wf.external))
    stage = wf.stage(earlier.stage)
    asked_them = stage is not None and bool(roles & set(stage.actors))
    named = earlier.stage and (asked_them or not external)
    waiting = progress.waiting(app, cr, now)
    current = current_request(app, session, cr, sender) if sender in waiting.people else None
    kind = "request" if row.template in {s.template for s in wf.stages} else "mail"
    return {
        "answered_kind": "reminder" if row.template == REMINDER else kind,
        "answered_on": day(earlier.sent),
        "answered_stage": wf.title_of(earlier.stage) if named else "",
        "again": earlier.stage == cr.stage,
        "entered_on": day(aware(cr.entered_at)),
        "given": given(session, cr, sender, earlier),
        "waits_on_you": sender in waiting.people,
        "asked_on": day(aware(current.created_at)) if current is not None else "",
        "asked_subject": subject_of(session, current) if current is not None else "",
        "waits_on": "" if external or not waiting.roles else waiting.who,
        "ended": wf.is_end(cr.stage),
    }


def given(
    session: Session, cr: ChangeRequest, sender: str, earlier: Earlier
) -> list[dict[str, str]]:
    """The sender's decisions at the stage the answered mail was about, since it was sent."""
    if not earlier.stage:
        return []
    rows = session.exec(
        select(Recorded)
        .where(Recorded.cr_id == cr.id)
        .where(Recorded.actor == sender)
        .where(Recorded.stage == earlier.stage)
        .order_by(col(Recorded.id))
    ).all()
    entered = aware(cr.entered_at)
    return [
        {"said": f"{d.verb} {d.text}".strip(), "on": day(aware(d.at))}
        for d in rows
        if earlier.sent <= aware(d.at) and (earlier.stage != cr.stage or aware(d.at) <= entered)
    ]


def current_request(app: App, session: Session, cr: ChangeRequest, sender: str) -> OutboxRow | None:
    """The newest request of the current stage instance sent to this person, if any."""
    stage = app.workflow.stage(cr.stage)
    if stage is None:
        return None
    rows = session.exec(
        select(OutboxRow)
        .options(_WITHOUT_BYTES)  # the chosen row's mail is read when its subject is
        .where(OutboxRow.cr_id == cr.id)
        .where(col(OutboxRow.template).in_([stage.template, REMINDER]))
        .order_by(col(OutboxRow.id).desc())
    ).all()
    mine = (r for r in rows if sender in r.recipients and of_this_round(app, cr, r))
    return next(mine, None)


def subject_of(session: Session, row: OutboxRow) -> str:
    """The subject line the person sees on our mail, to find it in their mailbox (queued
    in this very transaction, perhaps, and its bytes still being composed)."""
    outbox.settle(session)
    headers = BytesHeaderParser(policy=default_policy).parsebytes(row.data)
    return " ".join(str(headers.get("Subject", "")).split())


def day(at: datetime) -> str:
    """A date as people write it: "4 March 2027"."""
    return f"{at.day} {at:%B %Y}"
