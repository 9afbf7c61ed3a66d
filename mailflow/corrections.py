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
from mailflow.effects import audit
from mailflow.errors import MailflowError
from mailflow.store.tables import ChangeRequest
from mailflow.workflow.definition import Field
from mailflow.workflow.fields import FieldError, parse_value, show


@dataclass(frozen=True)
class Change:
    field: Field
    old: Any
    new: Any


def field_named(app: App, name: str) -> Field:
    """A field by its key or its label, case-insensitively."""
    wanted = name.strip().lower()
    for key, spec in app.workflow.fields.items():
        if wanted in (key.lower(), spec.label.lower()):
            return spec
    known = ", ".join(spec.label for spec in app.workflow.fields.values())
    raise MailflowError(f"no field {name!r}; the workflow's fields are: {known}")


def correct(
    app: App,
    session: Session,
    cr: ChangeRequest,
    values: Mapping[str, str],
    by: str,
    now: datetime,
) -> list[Change]:
    """Check and apply every value, or change nothing and say what is wrong."""
    roles = app.directory.roles_of(by, cr.account, cr.assignee)
    if not roles & set(app.workflow.correctors):
        titles = ", ".join(app.workflow.roles[r].title for r in app.workflow.correctors)
        raise MailflowError(f"{cr.id}: only the {titles} may correct fields; {by} may not")
    conv = app.directory.conventions(cr.account)
    changes, problems = [], []
    for name, raw in values.items():
        spec = field_named(app, name)
        try:
            new = parse_value(spec, raw, conv, now.date())
        except FieldError as exc:
            readings = f" (did you mean {' or '.join(exc.readings)}?)" if exc.readings else ""
            problems.append(f"{exc}{readings}")
            continue
        changes.append(Change(spec, cr.fields.get(spec.name), new))
    if problems:
        raise MailflowError(f"{cr.id}: nothing changed: " + "; ".join(problems))
    fields = dict(cr.fields)
    for change in changes:
        fields[change.field.name] = change.new
        if change.field.type == "person":
            cr.assignee = str(change.new)
        if change.field.name in ("title", "description"):
            setattr(cr, change.field.name, str(change.new))
        old = show(change.old, change.field, conv) if change.old is not None else "(none)"
        audit(
            session,
            cr,
            "correction",
            f"{by}: {change.field.label}: {old} → {show(change.new, change.field, conv)}",
            now,
            actor=by,
        )
    cr.fields = fields
    cr.updated_at = now
    session.add(cr)
    return changes
