"""The database as a command that only reads opens it: SQLAlchemy Core, and nothing made.

`cr list`, `cr show`, `cr report` and `status` read a few columns (read_tables.py); the
ORM session and the table classes of session.py would cost each of them more than its
answer. Opening this store creates nothing: no SQLite file, no tables, no upgrade.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from mailflow.errors import NoSchemaYet
from mailflow.store import schema
from mailflow.store.engine import make_engine, outdated, redact, unreachable


class ReadStore:
    """A database at this code's schema revision, opened for reading.

    Raises NoSchemaYet when mailflow never set it up (for SQLite: no file yet, and none
    is made), SchemaOutdated when its schema is older than this code's.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            raise NoSchemaYet(f"the database {url} does not exist yet")
        self.engine: Engine = make_engine(url, writes=False)
        try:
            if not schema.at_head(self.engine):
                with self.engine.connect() as conn:
                    current = schema.revision(conn)
                if current is None:
                    raise NoSchemaYet(f"the database {redact(url)} has no mailflow tables yet")
                if current != schema.head():
                    raise outdated(url, current, schema.head())
        except OperationalError as exc:
            raise unreachable(url, exc) from None
        except BaseException:
            self.engine.dispose()
            raise

    def connect(self) -> Connection:
        """A connection for the reads of one answer; the caller closes it."""
        return self.engine.connect()

    def dispose(self) -> None:
        self.engine.dispose()
