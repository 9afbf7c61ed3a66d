"""Writing a file a person asked for, so that a failure names the file.

An OSError raised by write() on a full disk carries no file name; the command line turns
an OSError into one line, and that line must say where the write failed.
"""

from __future__ import annotations

from pathlib import Path


def write_file(path: Path, data: bytes | str) -> None:
    """Write `data` to `path`; an OSError names `path` when the system did not."""
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
