"""The database engine and one transaction helper; SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from mailflow.store import schema
from mailflow.store.engine import make_engine, outdated, unreachable

log = logging.getLogger(__name__)
SCHEMA_LOCK = 0x6D61696C666C6F77  # "mailflow"


@dataclass(frozen=True)
class Fence:
    """What a mailbox reader's transactions must still hold to commit (service/lease.py).

    `bind` gives the connection they run on (PostgreSQL: the session holding the reader's
    lock) or None for any; `check` runs last in each transaction and raises `Fenced`
    when the reader has lost the mailbox.
    """

    bind: Callable[[], Connection | None]
    check: Callable[[Session], None]


# The fence of the work now running in this thread (or task), with the database it is for.
_fence: ContextVar[tuple[Database, Fence] | None] = ContextVar("mailflow_fence", default=None)


class Database:
    """Owns the engine; `transaction()` is the one way code writes to the store."""

    def __init__(self, url: str, on_old_schema: str = "refuse") -> None:
        """Open the store; `on_old_schema` says what to do with an older schema (see _prepare).

        A database at the newest revision, the usual case, is known by one query; only
        another one takes the schema lock to be created, checked or upgraded.
        """
        self.url = url
        self.upgraded: tuple[str, str] | None = None
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = make_engine(url)
        if self.engine.dialect.name != "sqlite":
            from mailflow.store.message_tables import partial_on_postgresql

            partial_on_postgresql()
        try:
            if not schema.at_head(self.engine):
                with self.engine.begin() as conn:
                    if self.engine.dialect.name == "postgresql":
                        # Daemons starting together would race to create the same tables.
                        lock = text("SELECT pg_advisory_xact_lock(:key)")
                        conn.execute(lock, {"key": SCHEMA_LOCK})
                    self.upgraded = self._prepare(conn, on_old_schema)
        except OperationalError as exc:
            raise unreachable(url, exc) from None

    def _prepare(self, conn: Connection, on_old_schema: str) -> tuple[str, str] | None:
        """Create a new database by the migrations; check an existing one's schema revision.

        An older schema is refused ("refuse", naming the command that upgrades it),
        upgraded after a SQLite file is copied ("upgrade"), or left for the caller
        ("leave", for `mailflow db upgrade` itself). A command that only reads opens the
        database through read_store.py instead, which creates nothing.
        """
        current = schema.revision(conn)
        if current is None:
            schema.create(conn)
            return None
        needed = schema.head()
        if current == needed:
            return None
        if on_old_schema == "leave":
            return None
        if on_old_schema == "upgrade":
            saved = schema.backup_sqlite(self.engine, current)
            if saved is not None:
                log.info("database copied to %s before the upgrade", saved)
            return schema.upgrade(conn)
        raise outdated(self.url, current, needed)

    @contextmanager
    def fenced(self, fence: Fence) -> Iterator[None]:
        """Within the block, every `transaction()` of this thread is held to `fence`."""
        token = _fence.set((self, fence))
        try:
            yield
        finally:
            _fence.reset(token)

    @contextmanager
    def transaction(
        self, *, fenced: bool = True, bind: Connection | None = None
    ) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back on any exception.

        Inside `fenced()` it commits only if the fence still holds (`fenced=False` for the
        lease's own bookkeeping, which must work whether or not it does). `bind` runs it
        on that connection rather than one from the pool.
        """
        map_for_writes()
        active = _fence.get() if fenced else None
        fence = active[1] if active is not None and active[0] is self else None
        bind = fence.bind() if fence is not None else bind
        with Session(bind or self.engine, expire_on_commit=False) as session:
            try:
                yield session
                if fence is not None:
                    fence.check(session)
                session.commit()
            except BaseException as exc:
                session.rollback()
                if fence is not None and isinstance(exc, Exception):
                    self._fenced_out(fence, exc)
                raise

    def _fenced_out(self, fence: Fence, failure: Exception) -> None:
        """After a fenced transaction failed: raise `Fenced` if losing the mailbox was why.

        A reader paused mid-message and then resumed most often fails on the ledger's
        unique index first (the new reader handled that message); that is no duplicate
        to record but the sign to stand down. Any other fault here keeps the first one.
        """
        # loaded already, wherever a fence is: the reader's lease made it
        from mailflow.store.lease import Fenced

        if isinstance(failure, Fenced):
            return
        try:
            with Session(fence.bind() or self.engine, expire_on_commit=False) as session:
                fence.check(session)
                session.commit()
        except Fenced as lost:
            raise lost from failure
        except Exception:  # noqa: BLE001, S110 - only a lost fence replaces the failure
            pass

    def session(self) -> Session:
        """A read-mostly session for queries; the caller closes it."""
        return Session(self.engine, expire_on_commit=False)

    def dispose(self) -> None:
        self.engine.dispose()


def map_for_writes() -> None:
    """Map the tables the CR tables' foreign keys name (the ledger, blobs and outbox).

    A write's flush orders its inserts by the foreign keys, and one it cannot resolve fails
    (NoReferencedTableError); a command that only reads CRs never needs those classes, so
    they are built here, before the first write, rather than with the CR tables.
    """
    from mailflow.store import message_tables  # noqa: F401
