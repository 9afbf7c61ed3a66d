"""What each ruling on a change Jira reports writes: a line on the timeline, a note and a
mail to the CSM, a question to CONFIRM, or the decision itself, one recorder a ruling.

Apart from the rule table (jira_rulings.py), which only decides: this is where Jira's
notifications write to the store and queue mail, once the message's ruling is final.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from mailflow.app import App
from mailflow.chain import confirm
from mailflow.chain.effects import audit, carry_out, queue_mail
from mailflow.chain.jira_rulings import TRUST, Entry, Recorded
from mailflow.mail.jira_notice import EventKind, JiraEvent, JiraNotice
from mailflow.mail.parse import Inbound
from mailflow.security import authresults, evidence
from mailflow.security.policy import Verdict
from mailflow.store.cr_state import state_of
from mailflow.store.tables import ChangeRequest
from mailflow.workflow import engine

PROGRESS, INTERNAL, NOTE = "progress", "jira", "note"
CONFIRM_TEMPLATE, UNMATCHED_TEMPLATE = "notice/jira_confirm", "notice/jira_unmatched"


@dataclass(frozen=True)
class Carried:
    """The notification whose rulings are written, and where and when they are."""

    app: App
    session: Session
    cr: ChangeRequest
    msg: Inbound
    key: str
    ledger_id: int | None
    now: datetime


def detail_of(key: str, event: JiraEvent) -> str:
    """The timeline line: "Jira KEY, who: what" (the customer's copy retells who)."""
    who = event.author.name.replace(":", " ").replace(",", " ").strip() or "someone"
    change = f"{event.old} → {event.new}" if event.old else f"→ {event.new}"
    what = {
        EventKind.COMMENT: f"{'internal comment' if event.internal else 'comment'} — "
        f"{event.text[:1500]}",
        EventKind.STATUS: f"status {change}",
        EventKind.ASSIGNEE: f"assignee {change}" if event.new else event.text[:300],
        EventKind.FIELD: f"{event.field} {change}" if event.field else event.text[:300],
        EventKind.CREATED: "created the issue",
    }.get(event.kind, event.text[:300] or str(event.kind))
    return f"Jira {key}, {who}: {what}"


def carry(
    app: App,
    session: Session,
    cr: ChangeRequest,
    msg: Inbound,
    notice: JiraNotice,
    entries: list[Entry],
    ledger_id: int | None,
    now: datetime,
) -> None:
    """Write each change's ruling; a notice with no change read is noted as it came."""
    if not entries:
        detail = f"notification about {notice.key}: {msg.subject[:120]}"
        audit(session, cr, INTERNAL, detail, now, actor=msg.from_addr, ledger_id=ledger_id)
    carried = Carried(app, session, cr, msg, notice.key, ledger_id, now)
    for entry in entries:
        _RECORDERS[entry.recorded](carried, entry)


def _progress(c: Carried, entry: Entry) -> None:
    detail = detail_of(c.key, entry.event)
    audit(c.session, c.cr, PROGRESS, detail, c.now, actor=entry.author, ledger_id=c.ledger_id)


def _internal(c: Carried, entry: Entry) -> None:
    detail = detail_of(c.key, entry.event)
    audit(c.session, c.cr, INTERNAL, detail, c.now, actor=entry.author, ledger_id=c.ledger_id)


def _tell_csm(c: Carried, entry: Entry) -> None:
    detail = f"{detail_of(c.key, entry.event)} (author not tied to a person)"
    audit(c.session, c.cr, NOTE, detail, c.now, ledger_id=c.ledger_id)
    event = entry.event
    context = {"jira_key": c.key, "author": event.author.name, "quoted": event.text[:1000]}
    mail = engine.Mail(UNMATCHED_TEMPLATE, to_roles=c.app.workflow.thread_owners)
    queue_mail(c.app, c.session, c.cr, mail, now=c.now, context=context)


def _ask(c: Carried, entry: Entry) -> None:
    """Ask the author once, at their own address and the CSM copied, to CONFIRM the comment."""
    app, session, cr, key, ledger_id, now = c.app, c.session, c.cr, c.key, c.ledger_id, c.now
    read, author = entry.decision, entry.author
    assert read is not None, "only a decision is asked about"
    spec = app.workflow.verb(read.verb)
    said = read.text if spec is not None and spec.takes_text and read.text else read.line
    pending = confirm.ask(session, cr, author, read.verb, said, ledger_id, now)
    question = engine.Mail(
        CONFIRM_TEMPLATE,
        to_sender=True,
        cc_roles=app.workflow.thread_owners,
        context={"likely": read.verb, "jira_key": key},
    )
    detail = f"{author}: a comment on Jira {key} reads as {read.verb}; asked to CONFIRM"
    result = engine.Result(state_of(cr, ""), (engine.Audit("question", detail), question))
    to_author = dataclasses.replace(c.msg, from_addr=author)
    context = {"sender": author, "quoted": entry.event.text[:1000]}
    carry_out(app, session, cr, result, now=now, actor=author, ledger_id=ledger_id,
              reply_to=to_author, context=context)  # fmt: skip
    confirm.note_question(session, pending, CONFIRM_TEMPLATE)


def _record(c: Carried, entry: Entry) -> None:
    """Record the decision at once, as a reply of its author would be (Jira trusted)."""
    app, session, cr, msg, ledger_id, now = c.app, c.session, c.cr, c.msg, c.ledger_id, c.now
    read, author = entry.decision, entry.author
    assert read is not None, "only a decision is recorded"
    account = app.settings.account(cr.account)
    state = state_of(cr, account.currency if account else "", app.directory.conventions(cr.account))
    said = engine.Said(read.verb, read.text, dict(read.fields))
    result = engine.apply(app.workflow, state, engine.Actor(author, entry.roles), said, now)
    stage_before = cr.stage
    carry_out(app, session, cr, result, now=now, actor=author, said=said, ledger_id=ledger_id,
              reply_to=dataclasses.replace(msg, from_addr=author),
              context={"sender": author, "quoted": read.line})  # fmt: skip
    if result.applied:
        auth = authresults.evaluate(msg, app.settings.security.trusted_authserv_ids)
        verdict = Verdict(True, TRUST, f"a comment on Jira, trusted: {auth.detail}",
                          auth_results=auth.seen)  # fmt: skip
        evidence.keep(session, cr, stage_before, read.verb, msg, author, msg.from_addr,
                      verdict, now, ledger_id)  # fmt: skip


# What each ruling writes; every ruling of jira_rulings.Recorded has its recorder.
_RECORDERS: dict[Recorded, Callable[[Carried, Entry], None]] = {
    Recorded.UNMATCHED: _tell_csm,
    Recorded.INTERNAL: _internal,
    Recorded.ASK: _ask,
    Recorded.RECORD: _record,
    Recorded.PROGRESS: _progress,
}
assert set(_RECORDERS) == set(Recorded), "a ruling without a recorder"
