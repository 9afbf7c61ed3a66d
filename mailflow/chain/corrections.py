"""Correcting a CR's recorded facts from the command line, with the change on its timeline.

Replies carry typed fields (cost, due date, Jira key…); people mistype them. A CSM fixes
a value here rather than in the database: it is checked against the field's type, only
the workflow's correctors may do it, and the old and new values stay in the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from mailflow.app import App
from mailflow.chain.effects import carry_out
from mailflow.chain.timeline import audit
from mailflow.errors import MailflowError
from mailflow.store.cr_state import state_of
from mailflow.store.tables import ChangeRequest
from mailflow.workflow import approvals, engine
from mailflow.workflow.conventions import Conventions
from mailflow.workflow.definition import Field
from mailflow.workflow.fields import FieldError, parse_value, show


@dataclass(frozen=True)
class Change:
    field: Field
    old: Any
    new: Any
    old_shown: str = ""
    new_shown: str = ""


@dataclass(frozen=True)
class Corrected:
    """What a correction did: the values changed, the approvals it undid, where the CR is."""

    changes: list[Change]
    undone: list[str]  # titles of the stages whose approval no longer stands
    stage: str


def field_named(app: App, name: str) -> Field:
    """A field by its key, its label or a name the workflow lists for it ("Price")."""
    key = app.workflow.field_for(name)
    if key is not None and key in app.workflow.fields:
        return app.workflow.fields[key]
    known = ", ".join(spec.label for spec in app.workflow.fields.values())
    raise MailflowError(f"no field {name!r}; the workflow's fields are: {known}")


def _changes(
    app: App, cr: ChangeRequest, values: Mapping[str, str], conv: Conventions, now: datetime
) -> list[Change]:
    """Every value read as its field's type, or an error naming each one that cannot be."""
    changes, problems = [], []
    for name, raw in values.items():
        spec = field_named(app, name)
        try:
            new = parse_value(spec, raw, conv, now.date())
        except FieldError as exc:
            readings = f" (did you mean {' or '.join(exc.readings)}?)" if exc.readings else ""
            problems.append(f"{exc}{readings}")
            continue
        old = cr.fields.get(spec.name)
        shown = show(old, spec, conv) if old is not None else "(none)"
        changes.append(Change(spec, old, new, shown, show(new, spec, conv)))
    if problems:
        raise MailflowError(f"{cr.id}: nothing changed: " + "; ".join(problems))
    return changes


def correct(
    app: App,
    session: Session,
    cr: ChangeRequest,
    values: Mapping[str, str],
    by: str,
    now: datetime,
    reason: str = "",
) -> Corrected:
    """Check and apply every value, or change nothing and say what is wrong.

    A figure an approval saw cannot change quietly: the change needs a reason, the
    approvals that saw the old value no longer stand, their approvers are told, and the
    CR goes back to the first of those stages (workflow/approvals.py).
    """
    roles = app.directory.roles_of(by, cr.account, cr.assignee)
    if not roles & set(app.workflow.correctors):
        titles = ", ".join(app.workflow.roles[r].title for r in app.workflow.correctors)
        raise MailflowError(f"{cr.id}: only the {titles} may correct fields; {by} may not")
    conv = app.directory.conventions(cr.account)
    changes = _changes(app, cr, values, conv, now)
    new_values = {c.field.name: c.new for c in changes}
    undone = approvals.undone(app.workflow, cr.fields, new_values)
    if undone and not reason.strip():
        titles = ", ".join(s.title for s in undone)
        raise MailflowError(
            f"{cr.id}: nothing changed: the change undoes the approval given at {titles}; "
            "say why with --reason '…' (the approvers are told)"
        )
    old_fields = dict(cr.fields)
    fields = dict(cr.fields)
    for change in changes:
        fields[change.field.name] = change.new
        if change.field.type == "person":
            cr.assignee = str(change.new)
        if change.field.name in ("title", "description"):
            setattr(cr, change.field.name, str(change.new))
        audit(
            session,
            cr,
            "correction",
            f"{by}: {change.field.label}: {change.old_shown} → {change.new_shown}"
            + (f" — {reason.strip()}" if reason.strip() else ""),
            now,
            actor=by,
        )
    cr.fields = fields
    cr.updated_at = now
    session.add(cr)
    if undone:
        account = app.settings.account(cr.account)
        state = state_of(cr, account.currency if account else "", conv)
        why = f"corrected: {reason.strip()}"
        result = engine.revisit(app.workflow, state, old_fields, new_values, by, why, now)
        carry_out(app, session, cr, result, now=now, actor=by)
    return Corrected(changes, [s.title for s in undone], cr.stage)
