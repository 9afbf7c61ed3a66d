"""What a CSM asks on the command line: whom each CR waits on, since when, and what to chase.

`mailflow cr list` prints it; `mailflow remind --dry-run` shows what the next reminder
sweep would send; `mailflow digest` sends the weekly digests now. A filter naming an
unknown stage, account or person is an error that lists the known ones, never an empty
answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mailflow.app import App
from mailflow.errors import NotFound
from mailflow.store.cr_state import StoredCR
from mailflow.views import progress


def stage_key(app: App, given: str) -> str:
    """A stage or end state named by its key or its title, case-insensitively."""
    wf = app.workflow
    known = [(s.name, s.title) for s in wf.stages] + [(e.name, e.title) for e in wf.ends.values()]
    wanted = given.strip().lower()
    for key, title in known:
        if wanted in (key.lower(), title.lower()):
            return key
    names = "; ".join(f"{title} ({key})" for key, title in known)
    raise NotFound(f"no stage {given!r}; the stages are: {names}")


def account_key(app: App, given: str) -> str:
    """An account named by its key or its name."""
    for account in app.settings.accounts:
        if given.lower() in (account.key.lower(), account.name.lower()):
            return account.key
    names = ", ".join(a.key for a in app.settings.accounts)
    raise NotFound(f"no account {given!r}; the accounts are: {names}")


def person(app: App, given: str) -> str:
    """A configured person's address, named by address or name."""
    for p in app.settings.people:
        if given.lower() in (p.email, p.name.lower()):
            return p.email
    names = ", ".join(p.email for p in app.settings.people)
    raise NotFound(f"no person {given!r}; the people are: {names}")


def waiting_table(app: App, crs: Sequence[StoredCR], now: datetime) -> str:
    """One line per CR: id, stage, whom it waits on and since when, overdue marked."""
    if not crs:
        return "no change requests"
    rows = [("ID", "ACCOUNT", "STAGE", "WAITING ON", "SINCE", "TITLE")]
    for cr in crs:
        wait = progress.waiting(app, cr, now)
        stage = app.workflow.title_of(cr.stage) + (" (on hold)" if cr.held else "")
        who = ", ".join(wait.people) or ("-" if not wait.roles else wait.titles)
        since = f"{wait.since:%Y-%m-%d} ({progress.waited(app, cr, now)})" if wait.roles else "-"
        since += "  OVERDUE" if wait.overdue else ""
        rows.append((cr.id, cr.account, stage, who, since, cr.title[:50]))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5]
        for r in rows
    )
