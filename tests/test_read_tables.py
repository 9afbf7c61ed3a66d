"""The commands that only read see the stored tables through read_tables.py: each of its
columns must be one the table classes write, of the same kind, and read back the same
value the classes read. Run on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from mailflow.errors import NoSchemaYet, SchemaOutdated
from mailflow.store import read_tables, tables
from mailflow.store.guard_tables import RateLimitNote
from mailflow.store.heartbeat import DaemonBeat, Heartbeat
from mailflow.store.lease import SourceLease
from mailflow.store.ops_tables import CanaryRound
from mailflow.store.read_store import ReadStore
from mailflow.store.session import Database
from tests.pg import postgres_server, postgres_url  # noqa: F401

assert tables  # every table class is mapped, so that SQLModel.metadata knows them all


@pytest.mark.parametrize("table", read_tables.ALL, ids=lambda t: t.name)
def test_each_read_column_is_a_stored_column_of_the_same_kind(table: Any) -> None:
    stored = SQLModel.metadata.tables[table.name]
    for col in table.columns:
        assert col.name in stored.columns, f"{table.name}.{col.name} is not stored"
        written = stored.columns[col.name].type
        # the kind of SQL type (String, JSON, DateTime…), through SQLModel's decorators
        assert col.type._type_affinity is written._type_affinity, f"{table.name}.{col.name}"


def stored_rows(at: datetime) -> list[Any]:
    """One row of each table the reading commands read, with every kind of value."""
    later = at + timedelta(minutes=5)
    cr_id = f"CR-{at.year}-0001"
    return [
        tables.ChangeRequest(
            id=cr_id, account="acme", title="Export", description="two\nlines",
            stage="in_principle", held=True, fields={"cost": {"amount": "9000"}},
            votes=[["dana@acme.example", "approved"]], entered_at=at, reminders=2,
            reminded_at=later, assignee="priya@ft.example", opened_by="priya@ft.example",
            created_at=at, updated_at=later,
        ),
        tables.LedgerEntry(
            id=7, content_hash="ab" * 32, message_id="<m@x>", outcome="applied", received_at=at
        ),
        tables.Decision(
            id=3, cr_id=cr_id, stage="triage", verb="IS CR", actor="a@ft.example",
            text="needs a column", at=at, ledger_id=7,
        ),
        tables.AuditEvent(
            id=4, cr_id=cr_id, at=later, stage="triage", kind="mail",
            detail="request/triage → a@ft.example", ledger_id=7,
        ),
        tables.OutboxRow(
            id=5, message_id="<o@x>", envelope_from="desk@ft.example", recipients=["d@x"],
            data=b"x", status="failed",
        ),
        Heartbeat(source="imap:desk", host="h", pid=42, started_at=at, last_check=later,
                  state={"INBOX": {"uidvalidity": 1}}, updated_at=later),
        DaemonBeat(daemon="h:42:1", source="imap:desk", host="h", pid=42, role="reading",
                   started_at=at, last_check=later),
        SourceLease(source="imap:desk", holder="h:42:1", expires_at=later, taken_at=at,
                    node="n", pid=42, fence=3),
        RateLimitNote(id=1, scope="*", since=at, deferred=4, row_ids=[5]),
        CanaryRound(nonce="n1", sent_at=at, returned_at=later),
    ]  # fmt: skip


def check_read_back(url: str) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    db = Database(url)
    rows = stored_rows(at)
    with db.transaction() as session:
        for row in rows:  # in the order the foreign keys need
            session.add(row)
            session.flush()
    store = ReadStore(url)
    with store.connect() as conn:
        for row in rows:
            table = next(t for t in read_tables.ALL if t.name == type(row).__tablename__)
            read = conn.execute(select(table)).one()
            for col in table.columns:
                value = getattr(read, col.name)
                assert value == getattr(row, col.name), f"{table.name}.{col.name}: {value!r}"
                if isinstance(value, datetime):
                    assert value.tzinfo is not None, f"{table.name}.{col.name} is not aware"
    store.dispose()
    db.dispose()


def test_what_the_classes_wrote_reads_back_the_same_on_sqlite(tmp_path: Path) -> None:
    check_read_back(f"sqlite:///{tmp_path / 'm.db'}")


def test_what_the_classes_wrote_reads_back_the_same_on_postgresql(postgres_url: str) -> None:  # noqa: F811
    check_read_back(postgres_url)


def test_opening_for_reading_makes_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "none" / "m.db"
    with pytest.raises(NoSchemaYet):
        ReadStore(f"sqlite:///{missing}")
    assert not missing.parent.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(NoSchemaYet, match="no mailflow tables yet"):
        ReadStore(f"sqlite:///{empty}")
    assert empty.stat().st_size == 0


def test_an_older_schema_is_refused_with_the_way_to_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    Database(url).dispose()
    import sqlite3

    with sqlite3.connect(tmp_path / "m.db") as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0001'")
    with pytest.raises(SchemaOutdated, match="mailflow db upgrade"):
        ReadStore(url)
