"""Alembic migrations of the mailflow database; see mailflow.store.schema for how they run."""
