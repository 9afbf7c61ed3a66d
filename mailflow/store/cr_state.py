"""A stored CR as the workflow engine sees it: the one bridge from a row to the pure engine.

It sits beside the tables rather than in the chain so that the views, the sweeps and the
chain can all ask the engine about a CR without importing one another.
"""

from __future__ import annotations

from mailflow.store.cr_tables import ChangeRequest
from mailflow.workflow.conventions import Conventions
from mailflow.workflow.engine_values import CRState


def state_of(cr: ChangeRequest, currency: str, conventions: Conventions | None = None) -> CRState:
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
