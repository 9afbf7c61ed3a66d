"""Making an engine for a database URL: SQLAlchemy's core only, no ORM.

Shared by the store that writes (session.py) and the one that only reads (read_store.py),
so that a command that only reads pays neither for the ORM nor for the table classes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from mailflow.errors import MailflowError, SchemaOutdated


def make_engine(url: str, *, writes: bool = True) -> Engine:
    """An engine with mailflow's connection settings; on SQLite, WAL and foreign keys for
    one that writes. One that only reads sets nothing: setting WAL writes to the file."""
    engine = create_engine(url, connect_args=_connect_args(url))
    if writes and engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def unreachable(url: str, exc: OperationalError) -> MailflowError:
    """The error to show when the database cannot be opened: the driver's first line (a
    hint on how to start a server follows it), with the URL's password hidden."""
    why = (str(exc.orig).strip().splitlines() or ["unknown error"])[0]
    return MailflowError(f"cannot open the database {redact(url)}: {why}")


def outdated(url: str, current: str, needed: str) -> SchemaOutdated:
    """The refusal of a database at an older schema revision, naming the way to upgrade."""
    return SchemaOutdated(
        f"the database {redact(url)} has schema revision {current} and this mailflow "
        f"needs {needed}: back it up, then run `mailflow db upgrade` (or set [database] "
        "upgrade_on_start = true)"
    )


def _connect_args(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"check_same_thread": False, "timeout": 30}
    return {"connect_timeout": 15}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def redact(url: str) -> str:
    """The URL with its password replaced by ***."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url
