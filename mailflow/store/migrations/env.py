"""Alembic's entry point: runs the migrations on the connection mailflow hands it.

mailflow always passes an open connection (config.attributes["connection"]) inside its
own transaction and lock, so there is no URL, no logging setup and no offline mode here.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from mailflow.store import models  # noqa: F401 - every table, to compare with the migrations
from mailflow.store.message_tables import partial_on_postgresql

connection = context.config.attributes["connection"]
if connection.dialect.name == "postgresql":
    partial_on_postgresql()
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
