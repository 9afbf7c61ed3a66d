"""The database schema's version: what the code needs, what the database has, and the upgrade.

Alembic keeps the history (mailflow/store/migrations) and is the only way a schema is
made or changed: a new database is made by running every migration, so new and upgraded
databases cannot drift apart, and a test holds the migrations' result to the models. A
database made before migrations existed (tables but no alembic_version) is taken to be
the baseline (0001). An older schema is never used as it is: `mailflow db upgrade`
upgrades it, or `run` does when `[database] upgrade_on_start` is set, after a copy of a
SQLite file is saved.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when a schema is created or checked against its history: it
# costs about 0.6 s to import, which every command would otherwise pay at start.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"


def _quiet() -> None:
    """Alembic logs its plugin set-up at INFO when first imported: not news to anyone."""
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _config(conn: Connection) -> Config:
    _quiet()
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def head() -> str:
    """The revision this code needs: the highest numbered migration file.

    Read from the file names, not from Alembic (which every command would then import);
    a test holds it to Alembic's own head.
    """
    numbers = (p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))
    return max(numbers)


def history_head() -> str:
    """The newest revision in the migrations folder."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert found is not None, "the migrations folder has no revisions"
    return found


def at_head(engine: Engine) -> bool:
    """Whether the database is at the revision this code needs, asked with one query.

    A new database and one from before migrations have no alembic_version table: the
    query fails and the answer is no, for `revision` to tell them apart. A database that
    cannot be reached raises as it would anywhere.
    """
    with engine.connect() as conn:
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except (OperationalError, ProgrammingError):
            return False
    return row is not None and str(row[0]) == head()


def revision(conn: Connection) -> str | None:
    """The database's revision; None for an empty database; BASELINE for one from before."""
    current = _stamped(conn)
    if current is not None:
        return current
    return BASELINE if inspect(conn).has_table("change_request") else None


def _stamped(conn: Connection) -> str | None:
    """The revision in alembic_version, read without loading Alembic."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return str(row[0]) if row else None


def create(conn: Connection) -> None:
    """A new database: every migration in turn, exactly as an old database is upgraded."""
    _quiet()
    from alembic import command

    command.upgrade(_config(conn), "head")


def upgrade(conn: Connection) -> tuple[str, str]:
    """Bring the database to the newest revision; returns (from, to)."""
    _quiet()
    from alembic import command

    before = revision(conn) or BASELINE
    if _stamped(conn) is None:
        command.stamp(_config(conn), BASELINE)
    command.upgrade(_config(conn), "head")
    return before, head()


def backup_sqlite(engine: Engine, rev: str) -> Path | None:
    """Copy a SQLite database next to itself before an upgrade; None for other databases."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    source = Path(engine.url.database)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = source.with_name(f"{source.name}.before-upgrade-from-{rev}-{stamp}")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target
