"""Files that came with replies: stored once by content hash, linked to CR and stage."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from mailflow.mail.parse import Inbound
from mailflow.store import blobs
from mailflow.store.tables import AttachmentLink, ChangeRequest

TNEF_TYPES = ("application/ms-tnef", "application/vnd.ms-tnef")


def is_tnef(filename: str, content_type: str) -> bool:
    """Outlook's winmail.dat: the real files are locked inside a format few can read."""
    return content_type.lower() in TNEF_TYPES or filename.lower() == "winmail.dat"


def store_attachments(
    session: Session,
    cr: ChangeRequest,
    stage: str,
    msg: Inbound,
    ledger_id: int | None,
    now: datetime,
) -> None:
    """Each file once by SHA-256 (Blob), linked to the CR and the stage it arrived at."""
    for part in msg.attachments:
        digest = blobs.keep(session, part.payload)
        session.add(
            AttachmentLink(
                cr_id=cr.id,
                stage=stage,
                filename=part.filename,
                content_type=part.content_type,
                sha256=digest,
                ledger_id=ledger_id,
                at=now,
            )
        )
