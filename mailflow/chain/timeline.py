"""The CR's timeline: one line per change, decision, refusal, reminder or mail."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from mailflow.store.tables import AuditEvent, ChangeRequest


def audit(
    session: Session,
    cr: ChangeRequest,
    kind: str,
    detail: str,
    now: datetime,
    *,
    actor: str = "",
    ledger_id: int | None = None,
    stage: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            cr_id=cr.id,
            at=now,
            stage=stage or cr.stage,
            kind=kind,
            detail=detail[:2000],
            actor=actor,
            ledger_id=ledger_id,
        )
    )
