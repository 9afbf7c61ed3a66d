"""Bytes stored once by their SHA-256: the raw mail behind a piece of evidence, a file a
person attached. Many messages may carry the same bytes; one row holds them."""

from __future__ import annotations

import hashlib

from sqlalchemy import bindparam, insert, select
from sqlmodel import Session

from mailflow.store.message_tables import Blob

_TABLE = Blob.__table__  # type: ignore[attr-defined]
_HELD = select(_TABLE.c.sha256).where(_TABLE.c.sha256 == bindparam("digest"))
_INSERT = insert(_TABLE)  # built once: its values come as parameters


def keep(session: Session, data: bytes) -> str:
    """Store `data` unless it is stored already; its SHA-256 (hex), for rows to point at.

    Written at once as a plain insert, not a table object: the rows pointing at it may be
    flushed at any time after.
    """
    digest = hashlib.sha256(data).hexdigest()
    connection = session.connection()
    if connection.execute(_HELD, {"digest": digest}).first() is None:
        connection.execute(_INSERT, {"sha256": digest, "size": len(data), "data": data})
    return digest
