"""Carry out what the engine decided, inside the caller's transaction: the result written
(results.py), then the answers held for a stage it entered applied (early.py).

`audit` and `queue_mail` are named here too for callers that write one line or one mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from mailflow.app import App
from mailflow.chain import early
from mailflow.chain.post import queue_mail
from mailflow.chain.results import write_result
from mailflow.chain.timeline import audit
from mailflow.mail.parse import Inbound
from mailflow.store.tables import ChangeRequest
from mailflow.workflow.engine_values import Result, Said

__all__ = ["audit", "carry_out", "queue_mail"]


def carry_out(
    app: App,
    session: Session,
    cr: ChangeRequest,
    result: Result,
    *,
    now: datetime,
    actor: str,
    said: Said | None = None,
    ledger_id: int | None = None,
    reply_to: Inbound | None = None,
    context: Mapping[str, Any] | None = None,
    held: str = "",
) -> None:
    """Write the new state, the decision, the timeline and the outgoing mail of one result;
    a stage entered applies the answers held for it."""
    write_result(app, session, cr, result, now=now, actor=actor, said=said,
                 ledger_id=ledger_id, reply_to=reply_to, context=context, held=held)  # fmt: skip
    early.entered(app, session, cr, result, now)
