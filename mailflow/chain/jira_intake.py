"""A Jira notification about a customer's new issue opens a CR, on behalf of the account's CSM.

The process lets a request start in Jira as well as by mail. Jira's mail is automated
(Auto-Submitted, Precedence: bulk), so it is only taken from the senders listed in
`[intake] jira_senders`, and it is never answered: an unknown project or a repeated
notification for the same issue is recorded and left there.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, select

from mailflow.app import App
from mailflow.chain import intake
from mailflow.chain.post import queue_mail
from mailflow.chain.timeline import audit
from mailflow.config.settings import Account
from mailflow.mail import reply_text
from mailflow.mail.parse import Inbound
from mailflow.store.tables import ChangeRequest
from mailflow.workflow import engine

_ISSUE = re.compile(r"\(([A-Z][A-Z0-9]{1,9}-\d{1,7})\)\s*(.*)$")
_NOISE = re.compile(r"^\s*(\[[^\]]*\]\s*)*((created|updated|commented|assigned)\s*:\s*)?", re.I)


def is_jira(app: App, msg: Inbound) -> bool:
    return msg.from_addr in app.settings.jira_senders


def issue_of(subject: str) -> tuple[str, str] | None:
    """(issue key, title) from "[JIRA] (ACME-123) Title" or "[JIRA] Created: (ACME-123) Title"."""
    match = _ISSUE.search(_NOISE.sub("", subject))
    if match is None:
        return None
    return match.group(1), match.group(2).strip() or match.group(1)


def opened_for(session: Session, key: str) -> ChangeRequest | None:
    """The CR an earlier notification about this issue opened."""
    return session.exec(select(ChangeRequest).where(ChangeRequest.source_ref == key)).first()


def account_of(app: App, key: str) -> Account | None:
    """The account whose Jira projects include the issue's project."""
    project = key.split("-")[0]
    return next((a for a in app.settings.accounts if project in a.jira_projects), None)


def csm_of(app: App, account: Account) -> str | None:
    """The person who opens the account's CRs, on whose behalf the issue is opened."""
    return next(
        (
            p.email
            for role in intake.opener_roles(app)
            for p in app.directory.holders(role, account.key)
        ),
        None,
    )


def note_repeat(
    session: Session,
    cr: ChangeRequest,
    key: str,
    msg: Inbound,
    ledger_id: int | None,
    now: datetime,
) -> None:
    """A repeated notification about an issue already opened goes on that CR's timeline."""
    detail = f"notification about {key}: {msg.subject[:120]}"
    audit(session, cr, "jira", detail, now, actor=msg.from_addr, ledger_id=ledger_id)


def open_from_jira(
    app: App,
    session: Session,
    msg: Inbound,
    issue: tuple[str, str],
    account: Account,
    csm: str,
    ledger_id: int | None,
    now: datetime,
    cr_id: str | None = None,
) -> ChangeRequest:
    """Open the CR for the issue on the CSM's behalf and tell the account's openers."""
    key, title = issue
    text = reply_text.new_text(msg.text)
    cr = intake.open_cr(
        app,
        session,
        account=account.key,
        title=title,
        description=f"{text}\n\nJira: {key}".strip(),
        opened_by=csm,
        now=now,
        ledger_id=ledger_id,
        thread_root=msg.message_id,
        source=msg,
        cr_id=cr_id,
    )
    cr.source_ref = key
    session.add(cr)
    queue_mail(
        app,
        session,
        cr,
        engine.Mail("notice/opened", to_roles=intake.opener_roles(app)),
        now=now,
        context={"sender": csm},
    )
    return cr
