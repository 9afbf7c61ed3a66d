"""Which failures are the store's or the network's fault (retry) rather than the message's.

A message is quarantined only for what it causes itself; a locked, unreachable or full
database, a lost connection or a full disk leave it at its source to be handled again
(DESIGN invariant 1). SQLAlchemy already sorts driver errors into the DB-API classes, so
the test is by class: Integrity, Data, Programming and NotSupported errors are about the
statement (and so about the message); every other database error is about the database.

A fault of the place the service writes to (a full disk, a read-only folder) is named in
plain words by `diagnose`, which also looks at the file systems themselves.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from sqlalchemy import exc as sa_exc

from mailflow.errors import MailflowError, TransientError

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


class Cause(StrEnum):
    """Why the service cannot write, in the words its log line and `status` use."""

    DISK_FULL = "disk full"
    READ_ONLY = "read-only"
    NOT_WRITABLE = "no write permission"
    OTHER = "cannot write"


@dataclass(frozen=True)
class Fault:
    """A fault of the place the service writes to, not of any one message."""

    cause: Cause
    where: str
    detail: str = field(default="", compare=False)  # free space changes; the fault does not
    failed: str = field(default="", compare=False)  # what could not be done, in the error's words

    def line(self) -> str:
        """One line for a person: the cause first, then the place."""
        head = {
            Cause.DISK_FULL: f"disk full at {self.where}",
            Cause.READ_ONLY: f"read-only: {self.where}",
            Cause.NOT_WRITABLE: f"no write permission: {self.where}",
        }.get(self.cause, f"cannot write to {self.where}")
        head = f"{head} ({self.detail})" if self.detail else head
        return f"{head}: {self.failed}" if self.failed else head


# Below this many free bytes a file system counts as full: SQLite and Maildir both need a
# few pages to write anything at all.
FULL_BELOW_BYTES = 64 * 1024
_ERRNO_CAUSES = {
    errno.ENOSPC: Cause.DISK_FULL,
    errno.EDQUOT: Cause.DISK_FULL,
    errno.EROFS: Cause.READ_ONLY,
    errno.EACCES: Cause.NOT_WRITABLE,
    errno.EPERM: Cause.NOT_WRITABLE,
}
_SQLITE_CAUSES = {"SQLITE_FULL": Cause.DISK_FULL, "SQLITE_READONLY": Cause.READ_ONLY}


def probe(folder: Path) -> Fault | None:
    """Look at the file system holding `folder` (or its nearest existing parent)."""
    place = folder
    while not place.exists() and place != place.parent:
        place = place.parent
    try:
        fs = os.statvfs(place)
    except OSError:
        return None
    free = fs.f_bavail * fs.f_frsize
    if fs.f_flag & os.ST_RDONLY:
        return Fault(Cause.READ_ONLY, str(folder))
    if free < FULL_BELOW_BYTES or (fs.f_files and fs.f_favail == 0):
        return Fault(Cause.DISK_FULL, str(folder), f"{free // 1024} KiB free")
    if not os.access(place, os.W_OK):
        return Fault(Cause.NOT_WRITABLE, str(folder))
    return None


def diagnose(exc: BaseException, folders: Sequence[Path]) -> Fault | None:
    """The write fault behind a transient error, or None when it is not about writing.

    The driver's own words are often vague (SQLite says "disk I/O error" when its journal
    cannot grow), so the folders the service writes to are looked at as well: the first one
    on a full or read-only file system names the cause.
    """
    if _about_network(exc):
        return None
    hinted = _hint(exc)
    hinted_place = [Path(hinted[1])] if hinted and hinted[1] else []
    for folder in [*folders, *hinted_place]:  # a folder of ours names it best
        found = probe(folder)
        if found is not None:
            return replace(found, failed=_what_failed(exc))
    if hinted is None:
        return None
    cause, where = hinted
    return Fault(cause, where or (str(folders[0]) if folders else "?"), "", _what_failed(exc))


def _what_failed(exc: BaseException) -> str:
    return (
        str(exc).splitlines()[0] if isinstance(exc, MailflowError) and str(exc) else describe(exc)
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what caused it, and the driver's own error inside a database error."""
    seen: BaseException | None = exc
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        yield seen
        if isinstance(seen, sa_exc.DBAPIError) and seen.orig is not None:
            yield seen.orig
        seen = seen.__cause__ or seen.__context__


def _about_network(exc: BaseException) -> bool:
    return any(isinstance(e, ConnectionError | socket.timeout | TimeoutError) for e in _chain(exc))


def _hint(exc: BaseException) -> tuple[Cause, str] | None:
    """What the exception chain itself says: an errno or SQLite's result code, and a path."""
    for inner in _chain(exc):
        name = getattr(inner, "sqlite_errorname", "")
        if isinstance(name, str) and name in _SQLITE_CAUSES:
            return _SQLITE_CAUSES[name], ""
        if isinstance(inner, OSError) and inner.errno in _ERRNO_CAUSES:
            return _ERRNO_CAUSES[inner.errno], str(inner.filename or "")
    return None
