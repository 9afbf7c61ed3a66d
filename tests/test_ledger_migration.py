"""0009 on a database at 0008: the ledger gains its columns, and a message released the old
way (its quarantined row's keys rewritten) gets its release row and stays off the list."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from mailflow.service import quarantine
from mailflow.store import models, schema  # noqa: F401 - models: every table, to compare
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.session import Database

_ROW = (
    "INSERT INTO message_ledger (content_hash, message_id, source_key, sender, subject, "
    "outcome, reason, received_at, rules) VALUES (:hash, :mid, 'k', 'x@acme.example', 's', "
    "'quarantined', 'error while handling', '2026-11-02 09:00:00', '')"
)


def _alembic(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(schema.MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def test_a_database_at_0008_gains_rows_written_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'at-0008.db'}"
    Database(url).dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        command.downgrade(_alembic(conn), "0008")
        conn.execute(text(_ROW), {"hash": "released:1:abc", "mid": ""})
        conn.execute(text(_ROW), {"hash": "def", "mid": "<waiting@acme.example>"})
        command.upgrade(_alembic(conn), "0009")  # the migration alone
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert [d for d in diffs if "message_ledger" in repr(d)] == []
    with Session(engine) as session:
        rows = session.exec(select(LedgerEntry).order_by(LedgerEntry.id)).all()
        assert [(r.outcome, r.follows, r.handling) for r in rows] == [
            ("quarantined", None, 0),
            ("quarantined", None, 0),
            ("released", 1, 1),
        ]
        assert [r.content_hash for r in quarantine.waiting(session)] == ["def"]
    with engine.begin() as conn, pytest.raises(IntegrityError, match="message_ledger"):
        conn.execute(text(_ROW), {"hash": "def", "mid": ""})
    with engine.begin() as conn:
        command.downgrade(_alembic(conn), "0008")  # and back: the release rows go again
        columns = {c["name"] for c in inspect(conn).get_columns("message_ledger")}
        assert {"text_digest", "handling", "follows"}.isdisjoint(columns)
        assert conn.execute(text("SELECT count(*) FROM message_ledger")).scalar() == 2
    engine.dispose()
