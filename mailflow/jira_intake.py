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

from mailflow import intake
from mailflow.app import App
from mailflow.effects import audit, queue_mail
from mailflow.mail import reply_text
from mailflow.mail.parse import Inbound
from mailflow.outcome import Handled, record
from mailflow.store import ledger
from mailflow.store.tables import ChangeRequest
from mailflow.transport.base import RawMessage
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


def handle(app: App, session: Session, raw: RawMessage, msg: Inbound, now: datetime) -> Handled:
    found = issue_of(msg.subject)
    if found is None:
        return _leave(session, raw, msg, now, "jira: no issue key in the subject")
    key, title = found
    existing = session.exec(select(ChangeRequest).where(ChangeRequest.source_ref == key)).first()
    if existing is not None:
        entry = record(
            session,
            raw,
            msg,
            now,
            ledger.IGNORED,
            f"jira: {key} already opened {existing.id}",
            existing.id,
        )
        audit(
            session,
            existing,
            "jira",
            f"notification about {key}: {msg.subject[:120]}",
            now,
            actor=msg.from_addr,
            ledger_id=entry.id,
        )
        return Handled(ledger.IGNORED, entry.reason, existing.id)
    project = key.split("-")[0]
    account = next((a for a in app.settings.accounts if project in a.jira_projects), None)
    if account is None:
        return _leave(session, raw, msg, now, f"jira: no account lists project {project}")
    csm = next(
        (
            p.email
            for role in intake.opener_roles(app)
            for p in app.directory.holders(role, account.key)
        ),
        None,
    )
    if csm is None:
        return _leave(session, raw, msg, now, f"jira: {account.name} has no CSM to open {key}")
    entry = record(session, raw, msg, now, ledger.APPLIED, f"jira: opening {key}")
    text = reply_text.new_text(msg.text)
    cr = intake.open_cr(
        app,
        session,
        account=account.key,
        title=title,
        description=f"{text}\n\nJira: {key}".strip(),
        opened_by=csm,
        now=now,
        ledger_id=entry.id,
        thread_root=msg.message_id,
        source=msg,
    )
    cr.source_ref = key
    session.add(cr)
    entry.cr_id, entry.reason = cr.id, f"opened {cr.id} from Jira {key}"
    session.add(entry)
    queue_mail(
        app,
        session,
        cr,
        engine.Mail("notice/opened", to_roles=intake.opener_roles(app)),
        now=now,
        context={"sender": csm},
    )
    return Handled(ledger.APPLIED, entry.reason, cr.id)


def _leave(session: Session, raw: RawMessage, msg: Inbound, now: datetime, reason: str) -> Handled:
    """Recorded, never answered: answering an automated sender starts mail loops."""
    record(session, raw, msg, now, ledger.IGNORED, reason)
    return Handled(ledger.IGNORED, reason)
