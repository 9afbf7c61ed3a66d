"""Rules for mail that opens a CR: a Jira notification, or a new thread to the shared inbox."""

from __future__ import annotations

import dataclasses

from mailflow.chain import answers, intake, jira_intake
from mailflow.chain.context import Context, Ruling, answered, applied, ignored
from mailflow.chain.outcome import tell_sender
from mailflow.chain.post import queue_mail
from mailflow.chain.route import RouteKind
from mailflow.mail import reply_text
from mailflow.store.attachments import store_attachments
from mailflow.workflow import engine
from mailflow.workflow.reasons import Refusal


def jira_notification(ctx: Context) -> Ruling | None:
    """A Jira notification from a listed sender opens a CR for the account's CSM; never answered."""
    if ctx.route.kind != RouteKind.NEW or not jira_intake.is_jira(ctx.app, ctx.msg):
        return None
    issue = jira_intake.issue_of(ctx.msg.subject)
    if issue is None:
        return ignored("jira: no issue key in the subject")
    key = issue[0]
    existing = jira_intake.opened_for(ctx.session, key)
    if existing is not None:

        def note(ctx: Context, ledger_id: int | None) -> None:
            jira_intake.note_repeat(ctx.session, existing, key, ctx.msg, ledger_id, ctx.now)

        return ignored(f"jira: {key} already opened {existing.id}", existing.id, note)
    account = jira_intake.account_of(ctx.app, key)
    if account is None:
        return ignored(f"jira: no account lists project {key.split('-')[0]}")
    csm = jira_intake.csm_of(ctx.app, account)
    if csm is None:
        return ignored(f"jira: {account.name} has no CSM to open {key}")

    # The CR's number is taken now, so the ledger row names the CR it opens.
    cr_id = intake.next_cr_id(ctx.session, ctx.now)

    def open_it(ctx: Context, ledger_id: int | None) -> None:
        app, session, msg, now = ctx.app, ctx.session, ctx.msg, ctx.now
        jira_intake.open_from_jira(app, session, msg, issue, account, csm, ledger_id, now, cr_id)

    return applied(f"opened {cr_id} from Jira {key}", cr_id, open_it)


def not_an_opener(ctx: Context) -> Ruling | None:
    """A new thread from someone who may not open a CR: told how to ask, once a day."""
    if intake.may_open(ctx.app, ctx.msg.from_addr):
        return None
    if answers.answered_today(ctx.session, ctx.msg.from_addr, ctx.now):
        return ignored("no_cr: already answered today")

    def tell(ctx: Context, ledger_id: int | None) -> None:
        tell_sender(ctx.app, ctx.session, ctx.msg, "notice/no_cr", ctx.now, held=ctx.held,
                    detail="no_cr")  # fmt: skip

    return answered("no_cr", None, tell)


def unclear_customer(ctx: Context) -> Ruling | Context:
    """A request whose customer account cannot be told: asked for a Customer: line."""
    text = reply_text.new_text(ctx.msg.text)
    account, problem = intake.account_for(ctx.app, ctx.msg, text)
    if account is not None:
        return dataclasses.replace(ctx, text=text, account=account)
    detail = f"the customer of this request is not clear: {problem}"

    def tell(ctx: Context, ledger_id: int | None) -> None:
        template = Refusal.MISSING_FIELD.template
        tell_sender(ctx.app, ctx.session, ctx.msg, template, ctx.now, held=ctx.held,
                    detail=detail)  # fmt: skip

    return answered(detail, None, tell)


def new_request(ctx: Context) -> Ruling:
    """A CSM's request: opens a CR at the workflow's first stage and acknowledges it."""
    # The CR's number is taken now, so the ledger row names the CR it opens.
    cr_id = intake.next_cr_id(ctx.session, ctx.now)

    def open_it(ctx: Context, ledger_id: int | None) -> None:
        app, session, msg, now = ctx.app, ctx.session, ctx.msg, ctx.now
        cr = intake.open_cr(
            app,
            session,
            account=ctx.account,
            title=msg.subject,
            description=intake.description_of(ctx.text),
            opened_by=msg.from_addr,
            now=now,
            ledger_id=ledger_id,
            thread_root=msg.message_id,
            source=msg,
            cr_id=cr_id,
        )
        store_attachments(session, cr, app.workflow.start, msg, ledger_id, now)
        opened = engine.Mail("notice/opened", to_sender=True)
        context = {"sender": msg.from_addr}
        queue_mail(app, session, cr, opened, now=now, reply_to=msg, context=context,
                   held=ctx.held)  # fmt: skip

    return applied(f"opened {cr_id}", cr_id, open_it)
