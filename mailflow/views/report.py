"""Text a person reads on the command line: CR lists, one CR in full, the workflow graph."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from mailflow.app import App
from mailflow.store.cr_state import StoredCR
from mailflow.store.read_tables import attachment, audit_event, decision, message_ledger
from mailflow.views.wording import opening_fields, roles_titled
from mailflow.workflow.definition import Workflow
from mailflow.workflow.fields import show
from mailflow.workflow.reasons import Refusal


def cr_detail(app: App, conn: Connection, cr: StoredCR) -> str:
    """Stage, fields, decisions, files and the whole timeline with the message behind each entry.

    Read with SQLAlchemy Core (store/read_tables.py): `cr show` needs no table classes.
    """
    wf = app.workflow
    account = app.settings.account(cr.account)
    out = [
        f"{cr.id}  {cr.title}",
        f"  account:     {account.name if account else cr.account}",
        f"  stage:       {wf.title_of(cr.stage)}" + (" (on hold)" if cr.held else ""),
        f"  opened:      {cr.created_at:%Y-%m-%d %H:%M} UTC by {cr.opened_by}",
        f"  assigned to: {cr.assignee or '-'}",
    ]
    if cr.description:
        out += ["", "Description:"] + [f"  {line}" for line in cr.description.splitlines()]
    conv = app.directory.conventions(cr.account)
    facts = [
        (wf.fields[k].label, show(v, wf.fields[k], conv))
        for k, v in cr.fields.items()
        if k in wf.fields and k not in opening_fields(wf)
    ]
    if facts:
        out += ["", "Fields:"] + [f"  {k}: {v}" for k, v in facts]
    decisions = conn.execute(
        select(decision).where(decision.c.cr_id == cr.id).order_by(decision.c.id)
    ).all()
    if decisions:
        width = max(len(wf.title_of(d.stage)) for d in decisions)
        out += ["", "Decisions:"] + [
            f"  {d.at:%Y-%m-%d %H:%M}  {wf.title_of(d.stage):<{width}}  {d.verb:<12} {d.actor}"
            + (f" — {d.text}" if d.text else "")
            for d in decisions
        ]
    files = conn.execute(
        select(attachment).where(attachment.c.cr_id == cr.id).order_by(attachment.c.id)
    ).all()
    if files:
        out += ["", "Files:"] + [
            f"  {f.filename} ({wf.title_of(f.stage)}, sha256 {f.sha256[:12]})" for f in files
        ]
    out += ["", "Timeline:"]
    out += timeline_lines(conn, cr.id, wf)
    return "\n".join(out)


def timeline_lines(conn: Connection, cr_id: str, wf: Workflow) -> list[str]:
    """The record of a CR in words: roles by their titles, mails by what they were."""
    events = conn.execute(
        select(audit_event).where(audit_event.c.cr_id == cr_id).order_by(audit_event.c.id)
    ).all()
    ledger_ids = {e.ledger_id for e in events if e.ledger_id}
    messages = (
        {
            m.id: m
            for m in conn.execute(select(message_ledger).where(message_ledger.c.id.in_(ledger_ids)))
        }
        if ledger_ids
        else {}
    )
    lines, shown = [], set()
    for e in events:
        said = _SAID.get(e.kind)
        detail = said(wf, e.detail) if said else e.detail
        line = f"  {e.at:%Y-%m-%d %H:%M}  {e.kind:<12} {roles_titled(wf, detail)}"
        msg = messages.get(e.ledger_id) if e.ledger_id else None
        if msg is not None and msg.id not in shown:
            shown.add(msg.id)
            line += f"\n  {'':16}  {'':<12} ↳ message {msg.message_id or msg.content_hash[:16]}"
        lines.append(line)
    return lines


_TEMPLATE = re.compile(r"^(request|notice|explain)/(\w+)")
_MAIL_KINDS = {"request": "request", "notice": "notice", "explain": "explanation"}


def _mail_named(wf: Workflow, detail: str) -> str:
    """A mail the record names by its template ("request/in_principle") said as what it
    was: "request for In-principle approval", "notice: vote recorded"."""

    def said(m: re.Match[str]) -> str:
        kind, name = m[1], m[2]
        if kind == "request" and wf.stage(name) is not None:
            return f"request for {wf.title_of(name)}"
        return f"{_MAIL_KINDS[kind]}: {name.replace('_', ' ')}"

    return _TEMPLATE.sub(said, detail, count=1)


def _reason_named(wf: Workflow, detail: str) -> str:
    """A refusal the record keeps as "who: reason_key: detail" said with the reason in
    words: "qa@ft.example: wrong sender: …"."""
    who, sep, rest = detail.partition(": ")
    reason, sep2, more = rest.partition(": ")
    if not sep or reason not in _REASONS:
        return detail
    return f"{who}: {reason.replace('_', ' ')}{sep2}{more}"


_REASONS = frozenset(Refusal)
_SAID: dict[str, Callable[[Workflow, str], str]] = {"mail": _mail_named, "refusal": _reason_named}


def workflow_text(wf: Workflow) -> str:
    out = [f"{wf.title} ({wf.source})", ""]
    for i, stage in enumerate(wf.stages, 1):
        actors = " and " if stage.act == "all" else " or "
        out.append(f"{i:>2}. {stage.name} — {stage.title}")
        out.append(
            f"      acts: {actors.join(stage.actors)}"
            + (f"; copied: {', '.join(stage.copy)}" if stage.copy else "")
            + (f"; reminder every {stage.remind_hours:g} h" if stage.remind_hours else "")
        )
        for reply in stage.replies:
            extra = [wf.fields[f].label + ":" for f in reply.fields]
            if reply.attachment:
                extra.append("+attachment")
            out.append(
                f"      {reply.verb:<14} → {reply.to or '(stays)'}"
                + (f"   needs {' '.join(extra)}" if extra else "")
            )
    out += ["", "Any stage:"]
    for c in wf.commands:
        out.append(
            f"      {c.verb:<14} by {', '.join(c.roles)}"
            + (f" → {c.to}" if c.to else f" ({c.effect})")
        )
    out += ["", "Ends: " + ", ".join(wf.ends)]
    return "\n".join(out)


def workflow_mermaid(wf: Workflow) -> str:
    out = ["stateDiagram-v2", f"    [*] --> {wf.start}"]
    for stage in wf.stages:
        for reply in stage.replies:
            out.append(f"    {stage.name} --> {reply.to or stage.name}: {reply.verb}")
    for c in wf.commands:
        if c.to:
            out.append(f"    note right of {wf.start}: {c.verb} at any stage → {c.to}")
    for end in wf.ends:
        out.append(f"    {end} --> [*]")
    return "\n".join(out)
