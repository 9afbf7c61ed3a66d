"""Alembic is the only way a schema is made or changed, and the migrations match the models.

A new database is made by running every migration; comparing it with the models the way
`alembic revision --autogenerate` does must find nothing to do, on SQLite and on a real
PostgreSQL. A database opened at the newest revision is used as it is: nothing tops it up.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table, create_engine, inspect, text
from sqlalchemy.schema import CreateIndex
from sqlmodel import SQLModel

from mailflow.store import models, schema  # noqa: F401 - models: every table, to compare
from mailflow.store.message_tables import HANDLED_ONCE, LedgerEntry
from mailflow.store.session import Database
from tests.pg import postgres_server, postgres_url  # noqa: F401


def _differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))
    finally:
        engine.dispose()


def _new_database_matches_the_models(url: str) -> None:
    """Mutation: a column added to a model without a migration shows up here as add_column."""
    Database(url).dispose()
    assert _differences(url) == [], "the models and the migrations differ: write a migration"
    engine = create_engine(url)
    with engine.connect() as conn:
        assert schema.revision(conn) == schema.head() == schema.history_head()
    engine.dispose()


def test_a_new_sqlite_database_is_the_migrations_and_matches_the_models(tmp_path: Path) -> None:
    _new_database_matches_the_models(f"sqlite:///{tmp_path / 'new.db'}")


def test_a_new_postgresql_database_is_the_migrations_and_matches_the_models(
    postgres_url: str,  # noqa: F811
) -> None:
    _new_database_matches_the_models(postgres_url)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_database_at_the_newest_revision_is_not_topped_up(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """A table missing from a current database stays missing: only a migration adds one.
    Mutation: create_all back in Database._prepare makes the table again."""
    url = (
        f"sqlite:///{tmp_path / 'current.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    Database(url).dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE canary_round"))
    Database(url).dispose()
    with engine.connect() as conn:
        assert not inspect(conn).has_table("canary_round")
    engine.dispose()
    assert [d[0] for d in _differences(url) if isinstance(d, tuple)] == ["add_table", "add_index"]


def test_the_ledger_index_is_partial_on_postgresql_in_the_database_and_the_models(
    postgres_url: str,  # noqa: F811
) -> None:
    """The models give the index its PostgreSQL WHERE only once a PostgreSQL engine is
    made (so SQLite never loads that dialect). Mutation: without partial_on_postgresql()
    in Database the models' index is a plain unique one there."""
    Database(postgres_url).dispose()  # made by the migrations, whose env gives the WHERE
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            made = {i["name"]: i for i in inspect(conn).get_indexes("message_ledger")}
    finally:
        engine.dispose()
    assert "released" in str(made[HANDLED_ONCE]["dialect_options"]["postgresql_where"])
    table: Table = LedgerEntry.__table__  # type: ignore[attr-defined]
    index = next(i for i in table.indexes if i.name == HANDLED_ONCE)
    index.dialect_options["postgresql"]["where"] = None  # as a new process has it
    Database(postgres_url).dispose()  # at the newest revision: no migration runs
    assert "WHERE outcome != 'released'" in str(CreateIndex(index).compile(dialect=engine.dialect))


def test_the_report_counts_each_stage_from_an_index_alone(tmp_path: Path) -> None:
    """`cr report` counts CRs per stage with the oldest entry time; at 100,000 CRs reading
    every row for it took about 80 ms. Mutation: without migration 0011 the plan scans
    the table through the stage index and this fails."""
    url = f"sqlite:///{tmp_path / 'report.db'}"
    Database(url).dispose()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT stage, count(*), min(entered_at) "
                "FROM change_request GROUP BY stage"
            ).all()
    finally:
        engine.dispose()
    assert "COVERING INDEX ix_change_request_stage_entered_at" in str(plan)
