"""Decisions held for a later stage of their CR: kept, found again, and settled once.

A held answer is tied to what the CR said when it came: `facts_digest` is a digest of
the CR's facts (its fields, without the bookkeeping the engine keeps beside them under
dotted keys: "saw.<stage>", "<stage>.<verb>", "end.reason", "<field>.unusual"). The
answer counts only if the CR reaches its stage with the same facts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from mailflow.store.tables import ChangeRequest, EarlyAnswer

ASKED, RECORDED, DROPPED, LAPSED = "asked", "recorded", "dropped", "lapsed"


def facts_digest(fields: Mapping[str, Any]) -> str:
    """A digest of a CR's facts: its fields without the engine's dotted bookkeeping keys."""
    facts = {str(k): v for k, v in fields.items() if "." not in str(k)}
    text = json.dumps(facts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hold(
    session: Session,
    cr: ChangeRequest,
    stage: str,
    actor: str,
    verb: str,
    now: datetime,
    *,
    line: str = "",
    text: str = "",
    fields: Mapping[str, str] | None = None,
    ledger_id: int | None = None,
    attested_by: str = "",
) -> EarlyAnswer:
    """Keep a decision for `stage`; an earlier one of the same person for it gives way."""
    for older in waiting(session, cr.id, stage):
        if older.actor == actor:
            settle(session, older, LAPSED, now)
    row = EarlyAnswer(
        cr_id=cr.id,
        stage=stage,
        arrived_at_stage=cr.stage,
        actor=actor,
        attested_by=attested_by,
        verb=verb,
        line=line[:500],
        text=text,
        fields=dict(fields or {}),
        ledger_id=ledger_id,
        received_at=now,
        facts=facts_digest(cr.fields),
    )
    session.add(row)
    session.flush()
    return row


def waiting(session: Session, cr_id: str, stage: str | None = None) -> list[EarlyAnswer]:
    """The answers of a CR still waiting (for one stage, or any), oldest first."""
    query = (
        select(EarlyAnswer)
        .where(EarlyAnswer.cr_id == cr_id)
        .where(EarlyAnswer.outcome == "")
        .order_by(col(EarlyAnswer.id))
    )
    if stage is not None:
        query = query.where(EarlyAnswer.stage == stage)
    return list(session.exec(query).all())


def settle(session: Session, row: EarlyAnswer, outcome: str, now: datetime) -> None:
    """Mark the answer as settled (it is never applied twice)."""
    row.outcome, row.settled_at = outcome, now
    session.add(row)
    session.flush()
