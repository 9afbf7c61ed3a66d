"""The documents of a CR: which version travels with a request, and every stored file.

A stage's request carries the documents the workflow names for it (`attach`): for each
named stage, the files of the newest message that brought any, so a revised document
supersedes the one before. A file over the configured size is named in the mail, not
attached, and the mail says how to fetch it; the template only ever claims what is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.store.message_tables import Blob, LedgerEntry
from mailflow.store.tables import AttachmentLink, ChangeRequest


@dataclass(frozen=True)
class StoredFile:
    """One file as it arrived for a CR, with who sent it and its bytes."""

    stage: str
    filename: str
    content_type: str
    sha256: str
    size: int
    sender: str
    received: datetime
    data: bytes
    ledger_id: int | None = None


def stored_files(session: Session, cr_id: str, stage: str | None = None) -> list[StoredFile]:
    """Every file stored for the CR (or one stage of it), oldest first."""
    query = select(AttachmentLink).where(AttachmentLink.cr_id == cr_id)
    if stage is not None:
        query = query.where(AttachmentLink.stage == stage)
    out = []
    for link in session.exec(query.order_by(col(AttachmentLink.id))).all():
        blob = session.get(Blob, link.sha256)
        entry = session.get(LedgerEntry, link.ledger_id) if link.ledger_id else None
        out.append(
            StoredFile(
                stage=link.stage,
                filename=link.filename,
                content_type=link.content_type,
                sha256=link.sha256,
                size=blob.size if blob else 0,
                sender=entry.sender if entry else "",
                received=link.at,
                data=blob.data if blob else b"",
                ledger_id=link.ledger_id,
            )
        )
    return out


def newest(session: Session, cr_id: str, stage: str) -> list[StoredFile]:
    """The files of the newest message that brought any at this stage: the current version."""
    files = stored_files(session, cr_id, stage)
    if not files:
        return []
    last = files[-1]
    if last.ledger_id is None:
        return [last]
    return [f for f in files if f.ledger_id == last.ledger_id]


def for_request(
    app: App, session: Session, cr: ChangeRequest, stages: Sequence[str]
) -> tuple[list[dict[str, Any]], list[StoredFile]]:
    """What a request says about its documents (for the template), and the files to attach."""
    shown: list[dict[str, Any]] = []
    attach: list[StoredFile] = []
    limit = app.settings.max_attach_bytes
    for stage in stages:
        title = app.workflow.title_of(stage)
        files = newest(session, cr.id, stage)
        if not files:
            shown.append({"title": title, "missing": True})
        for f in files:
            fits = f.size <= limit
            shown.append(
                {
                    "title": title,
                    "missing": False,
                    "attached": fits,
                    "filename": f.filename,
                    "received": f.received.strftime("%Y-%m-%d"),
                    "version": f.sha256[:8],
                    "size": size_text(f.size),
                    "limit": size_text(limit),
                    "fetch": f"mailflow cr files {cr.id} --out <folder>",
                }
            )
            if fits:
                attach.append(f)
    return shown, attach


def size_text(size: int) -> str:
    """1.2 MB, 340 KB, 512 bytes: how big a file is, as people say it."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"
