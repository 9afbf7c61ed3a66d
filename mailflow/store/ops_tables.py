"""Tables for running the service: sign-in links and sessions of the status page, and the
canary's round trips.

Only hashes of sign-in links and session ids are stored, so a copy of the database
cannot be used to sign in. Every timestamp is timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from mailflow.store.row import Row


class WebLogin(Row, table=True):
    """A one-time sign-in link mailed to a configured person: short-lived, used once."""

    __tablename__ = "web_login"

    token_hash: str = Field(primary_key=True)
    email: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class WebSession(Row, table=True):
    """A signed-in browser; the cookie holds the id, the table its hash and expiry."""

    __tablename__ = "web_session"

    id_hash: str = Field(primary_key=True)
    email: str = Field(index=True)
    created_at: datetime
    expires_at: datetime


class CanaryRound(Row, table=True):
    """One canary mail: when it was sent, when (if ever) it came back, or why sending failed."""

    __tablename__ = "canary_round"

    nonce: str = Field(primary_key=True)
    sent_at: datetime = Field(index=True)
    returned_at: datetime | None = None
    error: str = ""
