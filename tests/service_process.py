"""`mailflow run` as a real process for tests that kill it: its configuration, start, SIGKILL,
and what the database and the SMTP server saw, counted per Message-ID.

The process runs from the checkout (cwd) and writes its log to a file, never a pipe, so a
test that never reads the log cannot make it block; a failing test prints the log's tail.
"""

from __future__ import annotations

import email
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from mailflow.store.message_tables import LedgerEntry, OutboxRow
from mailflow.store.session import Database
from tests.helpers import EXAMPLE_CONFIG, ROOT


def service_config(
    folder: Path,
    *,
    database_url: str | None = None,
    imap: Any = None,
    smtp: Any = None,
    daemon: str = "",
) -> Path:
    """The example configuration on `folder`, with real servers and [daemon] lines swapped in."""
    text = EXAMPLE_CONFIG.read_text().replace(
        'data_dir = "mailflow-data"', f'data_dir = "{folder / "data"}"'
    )
    text = text.replace("per_address_per_hour = 60", "per_address_per_hour = 0")
    text = text.replace("total_per_hour = 600", "total_per_hour = 0")
    for line in daemon.splitlines():  # "key = value": replaces the example's line, or is added
        key = line.split("=")[0].strip()
        text, replaced = re.subn(rf"(?m)^{key} = .*$", line, text, count=1)  # a set line first
        if not replaced:
            text, replaced = re.subn(rf"(?m)^# ?{key} = .*$", line, text, count=1)
        text = text if replaced else text.replace("[daemon]\n", f"[daemon]\n{line}\n")
    if database_url:
        text = text.replace("upgrade_on_start = false", f'url = "{database_url}"')
    if imap is not None:
        source = (
            f'kind = "imap"\n\n[source.imap]\nhost = "{imap.host}"\nport = {imap.port}\n'
            f'security = "plain"\nusername = "{imap.username}"\npassword = "{imap.password}"\n'
            "timeout_seconds = 5\nbackoff_initial_seconds = 0.05\nbackoff_max_seconds = 0.5\n"
        )
        head, _, tail = text.partition('kind = "maildir"')
        text = head + source + tail
    if smtp is not None:
        head, found, tail = text.partition('[sink]\n# "maildir": outgoing mail is written')
        rest = tail.replace(
            'kind = "maildir"',
            f'kind = "smtp"\n\n[sink.smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\n'
            'security = "plain"\ntimeout_seconds = 5\n',
            1,
        )
        text = head + found + rest
    config = folder / "mailflow.toml"
    config.write_text(text)
    return config


class Service:
    """One `mailflow run` process; `kill()` is SIGKILL, `stop()` SIGTERM."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mailflow", "run", "--config", str(self.config)],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def freeze(self) -> None:
        """SIGSTOP: the process hangs with its pid alive, as a stuck daemon would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def stop(self, timeout: float = 60) -> int:
        assert self.process is not None
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def wait_for(
    what: str, ready: Callable[[], bool], timeout: float, *logs: Service, every: float = 0.05
) -> None:
    """Poll until `ready()`; `timeout` is the operation's own generous bound, not a target."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if any(s.process is not None and not s.alive() for s in logs):
            break  # a process that should be working has died: no use waiting
        time.sleep(every)
    tails = "\n\n".join(f"--- {s.log.name}\n{s.tail()}" for s in logs)
    raise AssertionError(f"not (within {timeout:g} s): {what}\n{tails}")


class Store:
    """The test's own view of the service's database (created here, before any daemon)."""

    def __init__(self, url: str) -> None:
        self.engine = Database(url).engine

    def ledger_count(self) -> int:
        with Session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(LedgerEntry)).one())

    def ledger(self) -> list[LedgerEntry]:
        with Session(self.engine) as session:
            return list(session.exec(select(LedgerEntry)).all())

    def outbox(self) -> list[OutboxRow]:
        with Session(self.engine) as session:
            return list(session.exec(select(OutboxRow)).all())

    def sent_ids(self) -> set[str]:
        return {row.message_id for row in self.outbox() if row.status == "sent"}

    @contextmanager
    def writes_held(self) -> Iterator[None]:
        """Hold SQLite's write lock, as a busy neighbour would: the service's commits wait."""
        database = self.engine.url.database
        assert database, "only a SQLite file can be locked this way"
        conn = sqlite3.connect(database, isolation_level=None, timeout=60)
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
        finally:
            conn.close()

    def close(self) -> None:
        self.engine.dispose()


def new_request(n: int, tag: str, eol: bytes = b"\n") -> bytes:
    """A CSM's new-request mail, number `n`, with Message-ID <tag-n@ft.example>."""
    lines = [
        b"From: Priya Nair <priya@ft.example>",
        b"To: approvals@ft.example",
        b"Subject: Export column %d" % n,
        b"Message-ID: <%s-%d@ft.example>" % (tag.encode(), n),
        b"",
        b"Customer: acme",
        b"",
        b"Please add export column number %d to the report." % n,
    ]
    return eol.join(lines) + eol


def message_ids(messages: Iterable[bytes]) -> Counter[str]:
    """How often each Message-ID arrived."""
    return Counter(str(email.message_from_bytes(data)["Message-ID"]).strip() for data in messages)
