"""PostgreSQL: the reader of a mailbox is the session that holds its advisory lock.

The lock is session-level (`pg_try_advisory_lock`) on a connection kept for it alone, so
the server releases it the moment that session ends: a process killed, a host gone, a
network cut. A process paused (SIGSTOP, a VM frozen) keeps its socket open, so the
session is also given `idle_session_timeout` and `idle_in_transaction_session_timeout`:
a holder that says nothing to the server for that long has its session ended by the
server, by the server's own timer. No daemon's clock is compared with another's.

Every handling transaction of the reader runs on this very connection
(store/session.py `Database.fenced`), so a transaction commits only while its session
still holds the lock: a session the server has ended commits nothing.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from mailflow.store.lease import Fenced

_NAMESPACE = b"mailflow reader:"


def lock_key(source: str) -> int:
    """A stable signed 64-bit key per mailbox, as pg_try_advisory_lock(bigint) takes."""
    digest = hashlib.sha256(_NAMESPACE + source.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SessionLock:
    """One mailbox's lock, tried and held on a connection of its own."""

    def __init__(self, engine: Engine, source: str, idle_seconds: float) -> None:
        self.engine, self.key = engine, lock_key(source)
        self.idle_ms = max(1000, round(idle_seconds * 1000))
        self._conn: Connection | None = None
        self._backend = 0  # the server process of our session: a reconnect would change it
        self.held = False

    def acquire(self) -> bool:
        """Confirm we still hold the lock, or try to take it; False when another session has it.

        A fault of the connection means our session, and with it the lock, may be gone:
        it is dropped and the fault raised.
        """
        try:
            conn = self._connection()
            if not self.held:
                self.held = bool(
                    conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
                )
            elif conn.execute(text("SELECT pg_backend_pid()")).scalar() != self._backend:
                raise Fenced("the session that held the reader's lock has ended")
            conn.commit()
        except BaseException:
            self.drop()
            raise
        return self.held

    def connection(self) -> Connection:
        """The session that holds the lock, for a transaction that must hold it to commit."""
        conn = self._conn
        if not self.held or conn is None or conn.invalidated or conn.closed:
            raise Fenced("this daemon no longer holds the reader's lock")
        return conn

    def confirm(self, conn: Connection) -> None:
        """Inside a transaction on `connection()`: still the same server session?"""
        if conn.execute(text("SELECT pg_backend_pid()")).scalar() != self._backend:
            raise Fenced("the session that held the reader's lock has ended")

    def drop(self) -> None:
        """Free the lock and close the connection for good (never back to the pool).

        The explicit unlock is for a clean stop, so that a daemon standing by can take
        the lock at once; closing alone frees it too, once the server sees the close.
        """
        conn, held, self._conn, self.held = self._conn, self.held, None, False
        if conn is None:
            return
        try:
            if held and not conn.invalidated:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                conn.commit()
        except Exception:  # noqa: BLE001 - the session is gone, and the lock with it
            pass
        finally:
            conn.invalidate()
            conn.close()

    def _connection(self) -> Connection:
        if self._conn is not None and not (self._conn.invalidated or self._conn.closed):
            return self._conn
        self.drop()
        conn = self.engine.connect()
        for setting in ("idle_session_timeout", "idle_in_transaction_session_timeout"):
            conn.execute(text(f"SET {setting} = {self.idle_ms}"))
        self._backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        conn.commit()
        self._conn = conn
        return conn
