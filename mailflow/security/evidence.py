"""What proved (or failed to prove) each reply acted on: kept for auditors, stored once.

The raw message goes to the Blob table keyed by its SHA-256, so an auditor can
recompute the hash from the exported .eml and match it to the record.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from mailflow.mail.parse import Inbound
from mailflow.security.policy import Verdict
from mailflow.store import blobs
from mailflow.store.tables import ChangeRequest, Evidence

APPLIED, REFUSED = "applied", "refused"


def record(
    session: Session,
    cr: ChangeRequest,
    *,
    raw: bytes,
    stage: str,
    verb: str,
    actor: str,
    outcome: str,
    verdict: Verdict,
    now: datetime,
    ledger_id: int | None,
    attested_by: str = "",
) -> Evidence:
    row = Evidence(
        cr_id=cr.id,
        ledger_id=ledger_id,
        at=now,
        stage=stage,
        verb=verb,
        actor=actor,
        attested_by=attested_by,
        outcome=outcome,
        sha256=blobs.keep(session, raw),
        policy=verdict.policy,
        rule=verdict.rule if verdict.allowed else f"{verdict.reason}: {verdict.detail}",
        token_check=verdict.token_check,
        auth_results=list(verdict.auth_results),
    )
    session.add(row)
    return row


def keep(
    session: Session,
    cr: ChangeRequest,
    stage: str,
    verb: str,
    msg: Inbound,
    actor: str,
    attested_by: str,
    verdict: Verdict,
    now: datetime,
    ledger_id: int | None,
) -> Evidence:
    """Record the policy's verdict on a reply, at the stage it answered."""
    return record(
        session,
        cr,
        raw=msg.raw,
        stage=stage,
        verb=verb,
        actor=actor,
        attested_by=attested_by,
        outcome=APPLIED if verdict.allowed else REFUSED,
        verdict=verdict,
        now=now,
        ledger_id=ledger_id,
    )
