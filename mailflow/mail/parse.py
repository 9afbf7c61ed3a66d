"""① Raw bytes → Inbound: the one typed message every later step receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Attachment:
    """A file that came with a message; stored later by content hash."""

    filename: str
    content_type: str
    payload: bytes


@dataclass(frozen=True)
class Inbound:
    """A parsed message. Addresses are bare and lower-case; the display name is kept apart."""

    raw: bytes
    message_id: str
    content_hash: str
    subject: str
    from_addr: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    in_reply_to: str | None
    references: tuple[str, ...]
    date: datetime | None
    headers: tuple[tuple[str, str], ...]
    text: str
    html: str | None
    attachments: tuple[Attachment, ...] = field(default=())

    def header(self, name: str) -> str | None:
        """First value of a header, matched case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None
