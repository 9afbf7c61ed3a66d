"""What the guards on outgoing mail keep: when each reply-token signing key was first used,
and the windows in which a sending limit held mail back.

Apart from the CR tables because they serve security/tokens.py and security/ratelimit.py
alone, and concern keys and addresses, not any one CR. Every timestamp is
timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field

from mailflow.store.row import Row
from mailflow.store.stamps import utcnow


class SigningKey(Row, table=True):
    """When a reply-token key was first used, so the key before it gets a bounded grace period."""

    __tablename__ = "signing_key"

    kid: str = Field(primary_key=True)
    first_used_at: datetime = Field(default_factory=utcnow)


class RateLimitNote(Row, table=True):
    """One logged deferral window: which limit held mail back, since when, and how many times."""

    __tablename__ = "rate_limit_note"

    id: int | None = Field(default=None, primary_key=True)
    scope: str  # an address, or "*" for the total limit
    since: datetime = Field(index=True)
    deferred: int = 0  # distinct outbox rows held back in this window
    row_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
