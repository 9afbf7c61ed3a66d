"""Keep one IMAP connection alive: reconnect with capped backoff and jitter, and report health.

A watcher that dies silently is the classic failure of mail daemons; here every operation runs
through `ImapSession.run`, which reopens a lost connection, logs one WARNING when an outage
starts and one INFO when it ends, and keeps the heartbeat that `mailflow status` shows.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from mailflow.errors import SourceError
from mailflow.transport.imap_connect import CONNECTION_ERRORS, ImapSettings, open_connection

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class ImapHealth:
    """The watcher's heartbeat: when the mailbox last answered and what last went wrong."""

    connected: bool
    last_check: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    outage_since: datetime | None


class MailboxUnreachable(SourceError):
    """The server stayed unreachable until the deadline; the caller records it and retries."""


class ImapSession:
    """One reconnecting connection; `prepare` runs on every fresh connection (select etc.)."""

    def __init__(
        self,
        settings: ImapSettings,
        prepare: Callable[[IMAPClient], None],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._prepare = prepare
        self._sleep = sleep
        self._client: IMAPClient | None = None
        self._attempt = 0
        self._outage_since: datetime | None = None
        self._last_check: datetime | None = None
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None

    def run(
        self, what: str, operation: Callable[[IMAPClient], T], deadline: float | None = None
    ) -> T:
        """Run `operation` on a live connection, reconnecting with backoff until `deadline`.

        Without a deadline the caller waits up to `retry_seconds` before MailboxUnreachable
        tells it the mailbox is gone for now. A refusal from the server (a NO or BAD answer)
        is not an outage and becomes a SourceError at once.
        """
        if deadline is None:
            deadline = time.monotonic() + self.settings.retry_seconds
        while True:
            try:
                result = operation(self._connected())
            except CONNECTION_ERRORS as exc:
                self._lost(what, exc)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise MailboxUnreachable(
                        f"IMAP {self.settings.address} unreachable during {what}: {exc}"
                    ) from exc
                self._sleep(min(self._next_delay(), remaining))
                continue
            except IMAPClientError as exc:
                self._note_error(f"{what}: {exc}")
                raise SourceError(f"IMAP {self.settings.address} refused {what}: {exc}") from exc
            except SourceError as exc:
                self._note_error(str(exc))
                raise
            self._recovered()
            _forget_unsolicited(self._client)
            return result

    def _connected(self) -> IMAPClient:
        if self._client is None:
            client = open_connection(self.settings)
            try:
                self._prepare(client)
            except BaseException:
                with contextlib.suppress(Exception):
                    client.shutdown()
                raise
            self._client = client
            self.checked()
        return self._client

    def checked(self) -> None:
        """Record that the mailbox just answered (the heartbeat)."""
        self._last_check = datetime.now(UTC)

    def health(self) -> ImapHealth:
        return ImapHealth(
            connected=self._client is not None,
            last_check=self._last_check,
            last_error=self._last_error,
            last_error_at=self._last_error_at,
            outage_since=self._outage_since,
        )

    def _next_delay(self) -> float:
        ceiling = min(
            self.settings.backoff_max_seconds,
            self.settings.backoff_initial_seconds * 2.0**self._attempt,
        )
        self._attempt += 1
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _note_error(self, text: str) -> None:
        self._last_error = text
        self._last_error_at = datetime.now(UTC)

    def _lost(self, what: str, exc: BaseException) -> None:
        self._drop()
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self._note_error(f"{what}: {text}")
        if self._outage_since is None:
            self._outage_since = datetime.now(UTC)
            logger.warning(
                "IMAP %s lost during %s (%s); reconnecting with backoff up to %g s",
                self.settings.address,
                what,
                text,
                self.settings.backoff_max_seconds,
            )
        else:
            logger.debug("IMAP %s still unreachable: %s", self.settings.address, text)

    def _recovered(self) -> None:
        self._attempt = 0
        if self._outage_since is not None:
            seconds = (datetime.now(UTC) - self._outage_since).total_seconds()
            logger.info("IMAP %s reachable again after %.1f s", self.settings.address, seconds)
            self._outage_since = None

    def _drop(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.shutdown()
            self._client = None

    def close(self) -> None:
        """Log out politely; a connection that is already dead is just dropped."""
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.logout()
        self._drop()


def _forget_unsolicited(client: IMAPClient | None) -> None:
    """Drop the lines the server sent unasked (a filed message's EXPUNGE, a new message's
    EXISTS and RECENT, the COPYUID of a move). The standard library keeps them for a caller
    that asks, and nothing here does: every answer mailflow reads is taken with its command.
    Kept, they grow by a line or two a message for the connection's life."""
    responses = getattr(getattr(client, "_imap", None), "untagged_responses", None)
    if responses:
        responses.clear()
