"""Every table of the store, imported together: for Alembic and for comparing the models
with the migrations.

A command imports only the table modules it queries; SQLModel's metadata holds every
table only once this module is imported.
"""

from __future__ import annotations

from mailflow.store import (
    attempts,
    guard_tables,
    heartbeat,
    lease,
    message_tables,
    ops_tables,
    sender_tables,
    sent_once,
    tables,
)

__all__ = [
    "attempts",
    "guard_tables",
    "heartbeat",
    "lease",
    "message_tables",
    "ops_tables",
    "sender_tables",
    "sent_once",
    "tables",
]
