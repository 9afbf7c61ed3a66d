"""Which failures are the store's or the network's fault (retry) rather than the message's.

A message is quarantined only for what it causes itself; a locked, unreachable or full
database, a lost connection or a full disk leave it at its source to be handled again
(DESIGN invariant 1). SQLAlchemy already sorts driver errors into the DB-API classes, so
the test is by class: Integrity, Data, Programming and NotSupported errors are about the
statement (and so about the message); every other database error is about the database.
"""

from __future__ import annotations

import errno
import socket

from sqlalchemy import exc as sa_exc

from mailflow.errors import TransientError

_STATEMENT_ERRORS = (
    sa_exc.IntegrityError,
    sa_exc.DataError,
    sa_exc.ProgrammingError,
    sa_exc.NotSupportedError,
)
_DISK_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EROFS, errno.EDQUOT, errno.EACCES}


def is_transient(exc: BaseException) -> bool:
    """True when trying again later, with the same message, may well succeed."""
    if isinstance(exc, TransientError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or not isinstance(exc, _STATEMENT_ERRORS)
    if isinstance(exc, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True
    if isinstance(exc, ConnectionError | socket.timeout | TimeoutError):
        return True
    return isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS


def describe(exc: BaseException) -> str:
    """One line: the driver's own message when there is one, without SQL or a traceback."""
    inner = exc.orig if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None else exc
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    return f"{type(inner).__name__}: {text}" if text else type(inner).__name__


def is_lost_race(exc: BaseException, table: str) -> bool:
    """A unique index on `table` refused a row another process wrote first."""
    return isinstance(exc, sa_exc.IntegrityError) and table in str(exc.orig)
