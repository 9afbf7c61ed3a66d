"""A bounce (DSN) names mail mailflow sent: record on each CR which mail bounced, for whom.

The bounce itself is never answered (that is how mail loops start); the CSM sees the
failed delivery in the CR's timeline and can reach the person another way.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from mailflow.chain.timeline import audit
from mailflow.mail import automated
from mailflow.mail.parse import Inbound
from mailflow.store.message_tables import OutboxRow
from mailflow.store.tables import ChangeRequest

BOUNCED = "bounced"


def _bounced_rows(session: Session, msg: Inbound) -> list[OutboxRow]:
    """The outbox rows the bounce names."""
    ids = list(automated.bounced_message_ids(msg))
    if not ids:
        return []
    return list(session.exec(select(OutboxRow).where(col(OutboxRow.message_id).in_(ids))).all())


def crs_of(session: Session, msg: Inbound) -> list[str]:
    """The CRs whose mail the bounce names, in the order `record` notes them."""
    found: list[str] = []
    for row in _bounced_rows(session, msg):
        if row.cr_id and row.cr_id not in found and session.get(ChangeRequest, row.cr_id):
            found.append(row.cr_id)
    return found


def record(
    session: Session, msg: Inbound, reason: str, ledger_id: int | None, now: datetime
) -> list[str]:
    """Mark the bounced outbox rows and note them on their CRs; returns the CR ids."""
    touched: list[str] = []
    for row in _bounced_rows(session, msg):
        row.status = BOUNCED
        row.last_error = f"bounced: {reason}"[:2000]
        session.add(row)
        cr = session.get(ChangeRequest, row.cr_id) if row.cr_id else None
        if cr is None:
            continue
        audit(
            session,
            cr,
            "bounce",
            f"{row.template} to {', '.join(row.recipients)} bounced ({reason})",
            now,
            actor=msg.from_addr,
            ledger_id=ledger_id,
        )
        if cr.id not in touched:
            touched.append(cr.id)
    return touched
