"""A stored CR as the workflow engine sees it: the one bridge from a row to the pure engine.

It sits beside the tables rather than in the chain so that the views, the sweeps and the
chain can all ask the engine about a CR without importing one another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from mailflow.workflow.conventions import Conventions
from mailflow.workflow.engine_values import CRState


class StoredCR(Protocol):
    """A CR as stored, whether read as a table class (cr_tables.ChangeRequest) or as a row
    of read_tables.change_request: the views read either, and only read."""

    id: str
    account: str
    title: str
    description: str
    stage: str
    held: bool
    fields: dict[str, Any]
    votes: list[list[str]]
    entered_at: datetime
    reminders: int
    reminded_at: datetime | None
    assignee: str | None
    opened_by: str
    created_at: datetime
    updated_at: datetime


def state_of(cr: StoredCR, currency: str, conventions: Conventions | None = None) -> CRState:
    """The engine's view of a CR; `conventions` say how its account's figures are read."""
    return CRState(
        stage=cr.stage,
        entered_at=cr.entered_at,
        held=cr.held,
        fields=dict(cr.fields),
        votes=tuple((v[0], v[1]) for v in cr.votes),
        reminders=cr.reminders,
        reminded_at=cr.reminded_at,
        currency=currency,
        conventions=conventions or Conventions(),
    )
