"""Pytest fixtures that start real mail servers: a throwaway Dovecot (IMAP) and aiosmtpd (SMTP).

Transport tests talk to the same kind of servers production does, so what they prove holds
there. Each fixture starts its server, yields it and kills it; Dovecot is shared by the
session (start-up is cheap, but fresh accounts are cheaper), SMTP is per test.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient

from mailflow.transport.imap import ImapSettings
from tests.dovecot_server import SPARE_ACCOUNTS, Dovecot, dovecot_binary, free_port

__all__ = [
    "Dovecot",
    "ImapAccount",
    "SmtpServer",
    "dovecot",
    "free_port",
    "imap_account",
    "smtp_server",
]


@dataclass
class ImapAccount:
    """A mailbox no other test has used, on the shared Dovecot, with helpers to fill it."""

    server: Dovecot
    username: str

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def password(self) -> str:
        return self.server.password

    def append(self, messages: Iterable[bytes], folder: str = "INBOX") -> None:
        self.server.append(self.username, messages, folder)

    def uids(self, folder: str = "INBOX") -> list[int]:
        return self.server.uids(self.username, folder)

    def client(self) -> IMAPClient:
        return self.server.client(self.username)

    def settings(self, **overrides: Any) -> ImapSettings:
        """Settings for an ImapSource on this account, with test-sized timeouts and backoff."""
        base = ImapSettings(
            host=self.host,
            port=self.port,
            security="plain",
            username=self.username,
            password=self.password,
            timeout_seconds=5,
            backoff_initial_seconds=0.05,
            backoff_max_seconds=0.5,
            retry_seconds=10,
        )
        return replace(base, **overrides)


def _require_dovecot() -> None:
    if dovecot_binary() is not None:
        return
    message = (
        "Dovecot is not installed; install it with "
        "`apt-get install -y dovecot-imapd dovecot-lmtpd` to run the IMAP tests"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A Dovecot for the whole test session (start-up costs about 60 ms, a kill about 10 ms)."""
    _require_dovecot()
    server = Dovecot(dir=Path(tempfile.mkdtemp(prefix="dovecot-")), port=0, lmtp_port=0)
    server.port, server.lmtp_port = free_port(), free_port()
    server.setup()
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


_account_numbers = itertools.count(1)


@pytest.fixture
def imap_account(dovecot: Dovecot) -> ImapAccount:
    """A user no other test has touched (an empty mailbox), so tests never see each other's mail."""
    if dovecot.process is None or dovecot.process.poll() is not None:
        dovecot.start()
    number = next(_account_numbers)
    if number > SPARE_ACCOUNTS:
        pytest.fail(f"more than {SPARE_ACCOUNTS} imap_account uses; raise SPARE_ACCOUNTS")
    return ImapAccount(dovecot, f"user{number}")


@dataclass(frozen=True)
class Received:
    """One message the SMTP server accepted, with its envelope."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


class RecordingHandler:
    """aiosmtpd handler that records what it accepts and refuses on demand for fault tests.

    Set `data_reply` (e.g. "451 4.3.0 Try later") to answer every DATA with it, or put
    addresses into `refuse` with their RCPT reply to refuse those recipients only.
    """

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.data_reply: str | None = None
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply is not None:
            return self.data_reply
        self.received.append(
            Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        return "250 Message accepted"


class SmtpServer:
    """An in-process aiosmtpd server on a fixed loopback port that can be stopped and restarted."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A fresh recording SMTP server per test (it starts in milliseconds)."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
