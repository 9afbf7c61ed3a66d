"""Opening a CR: from a CSM's mail to the shared inbox, or from the command line."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from mailflow.app import App
from mailflow.chain.effects import carry_out
from mailflow.config.settings import Account
from mailflow.errors import MailflowError
from mailflow.mail.compose import header_safe
from mailflow.mail.parse import Inbound
from mailflow.store.tables import ChangeRequest, CRSequence
from mailflow.workflow import engine

_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|tr|rv)\s*:\s*)+", re.IGNORECASE)
_CUSTOMER_LINE = re.compile(
    r"^[^\S\n]*customer\s*:\s*(\S(?:.*\S)?)\s*$", re.IGNORECASE | re.MULTILINE
)


@dataclass(frozen=True)
class Opened:
    cr: ChangeRequest | None
    problem: str = ""


def next_cr_id(session: Session, now: datetime) -> str:
    """CR-<year>-<4 digits>, counted per year; the row lock keeps concurrent daemons apart."""
    seq = session.get(CRSequence, now.year, with_for_update=True)
    if seq is None:
        try:
            with session.begin_nested():
                session.add(CRSequence(year=now.year, last=0))
        except IntegrityError:
            pass  # another daemon created this year's row first
        seq = session.get(CRSequence, now.year, with_for_update=True, populate_existing=True)
        assert seq is not None
    seq.last += 1
    session.add(seq)
    session.flush()
    return f"CR-{now.year}-{seq.last:04d}"


def opener_roles(app: App) -> tuple[str, ...]:
    """The roles that may open a CR: the actors of the workflow's first stage."""
    stage = app.workflow.stage(app.workflow.start)
    return stage.actors if stage else ()


def may_open(app: App, address: str) -> bool:
    return any(app.directory.accounts_where(address, role) for role in opener_roles(app))


def account_for(app: App, msg: Inbound, text: str) -> tuple[str | None, str]:
    """The customer account of a new request: a `Customer:` line, the recipients, or the CSM's."""
    line = _CUSTOMER_LINE.search(text)
    if line:
        wanted = line.group(1).strip().lower()
        for account in app.settings.accounts:
            if wanted in (account.key.lower(), account.name.lower()) or wanted in account.domains:
                return account.key, ""
        return (
            None,
            f"the Customer: line names {line.group(1).strip()!r}, which is not a known account",
        )
    for address in (*msg.to, *msg.cc):
        by_domain = app.settings.account_for_domain(address.rpartition("@")[2])
        if by_domain is not None:
            return by_domain.key, ""
    mine = sorted(
        {a for role in opener_roles(app) for a in app.directory.accounts_where(msg.from_addr, role)}
    )
    if len(mine) == 1:
        return mine[0], ""
    names = ", ".join(a.name for a in app.settings.accounts)
    return None, f"add a line 'Customer: <account>' naming one of: {names}"


def open_cr(
    app: App,
    session: Session,
    *,
    account: str,
    title: str,
    description: str,
    opened_by: str,
    now: datetime,
    ledger_id: int | None = None,
    thread_root: str = "",
    source: Inbound | None = None,
    cr_id: str | None = None,
) -> ChangeRequest:
    """Create the CR row and apply the workflow's opening reply to it (mails included);
    under `cr_id` when its number was taken before (next_cr_id), else the next one."""
    acct = app.settings.account(account)
    if acct is None:
        raise MailflowError(
            f"unknown account {account!r}; known: "
            + ", ".join(a.key for a in app.settings.accounts)
        )
    # One line: a title is shown in subjects and bodies, where a line break could pose
    # as a header to the reader (the Subject itself is made header-safe again).
    title = header_safe(_PREFIX.sub("", title), 300) or "(no title)"
    said, result = _opening(app, acct, opened_by, title, description, now)
    cr = ChangeRequest(
        id=cr_id or next_cr_id(session, now),
        account=account,
        title=title[:300],
        description=description,
        stage=app.workflow.start,
        opened_by=opened_by,
        entered_at=now,
        created_at=now,
        updated_at=now,
        thread_root=thread_root,
    )
    session.add(cr)
    session.flush()
    # The opener hears of the new CR from the caller (notice/opened, or the command line),
    # not from the engine's generic acknowledgement.
    effects = tuple(e for e in result.effects if not (isinstance(e, engine.Mail) and e.to_sender))
    quiet = dataclasses.replace(result, effects=effects)
    carry_out(app, session, cr, quiet, now=now, actor=opened_by, said=said, ledger_id=ledger_id)
    return cr


def _opening(
    app: App, acct: Account, opened_by: str, title: str, description: str, now: datetime
) -> tuple[engine.Said, engine.Result]:
    """The workflow's opening reply, as the engine takes it; refused openers are errors."""
    stage = app.workflow.stage(app.workflow.start)
    assert stage is not None
    actor = engine.Actor(opened_by, app.directory.roles_of(opened_by, acct.key))
    fields = {"title": title, "description": description, "customer": acct.name}
    said = engine.Said(stage.replies[0].verb, fields=fields)
    result = engine.start(app.workflow, actor, said, now, currency=acct.currency)
    if not result.applied:
        raise MailflowError(f"{opened_by} may not open a CR for {acct.name}: {result.detail}")
    return said, result


def description_of(text: str) -> str:
    """The body of a request mail without its Customer: line."""
    return _CUSTOMER_LINE.sub("", text).strip()
