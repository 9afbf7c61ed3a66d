"""An IMAP mailbox as a mail Source: read by UID, file by MOVE, wait with IDLE, survive outages.

Messages are read with BODY.PEEK[] (nothing is marked read before it is handled) and filed
into the processed or quarantine folder only when the caller acks them (many at a time with
`ack_many`: one MOVE per folder), so whatever is still
in the inbox is exactly what is not yet handled. The UIDVALIDITY and the highest UID below
which everything yielded has been filed are kept per folder and exposed by `state()`; when the
server changes UIDVALIDITY the folder is read again from the start and the caller's ledger
turns the repeats into no-ops. A lost connection is re-opened with capped exponential backoff
and jitter, logged once when the outage starts and once when it ends.

This module reads and keeps the position; filing is mailflow.transport.imap_filing, waiting
with IDLE mailflow.transport.imap_wait. One ImapSource serves one thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from email.parser import BytesHeaderParser

from imapclient import IMAPClient

from mailflow.config.servers import ImapSettings as ImapSettings
from mailflow.transport.base import Outcome, RawMessage
from mailflow.transport.imap_filing import ImapFiler
from mailflow.transport.imap_session import ImapHealth, ImapSession, MailboxUnreachable
from mailflow.transport.imap_wait import wait_for_mail

__all__ = ["ImapHealth", "ImapSettings", "ImapSource"]

logger = logging.getLogger(__name__)
# UIDs one SEARCH covers at first, and how many times it may double over filed mail
WINDOW = 1000
WIDEN_UP_TO = 4


class ImapSource:
    """Reads one IMAP folder and files handled messages into two others (see module doc)."""

    def __init__(
        self,
        settings: ImapSettings,
        state: Mapping[str, Mapping[str, int]] | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        saved = (state or {}).get(settings.inbox, {})
        self._uidvalidity: int | None = saved.get("uidvalidity")
        self._last_uid = int(saved.get("last_uid", 0))
        self._uidnext = 1
        self._open: set[int] = set()
        self._epoch = 0
        self._connections = 0
        self._can_idle = False
        self._filer = ImapFiler(settings)
        self._session = ImapSession(settings, self._prepare, sleep)

    def state(self) -> dict[str, dict[str, int]]:
        """Per folder: UIDVALIDITY and the highest UID up to which every message is filed.

        A caller that persists this and passes it back to the constructor resumes without
        re-reading old mail; one that does not simply re-reads the inbox once.
        """
        if self._uidvalidity is None:
            return {}
        return {self.settings.inbox: {"uidvalidity": self._uidvalidity, "last_uid": self._mark()}}

    def health(self) -> ImapHealth:
        """Last successful mailbox check and last error, for `mailflow status`."""
        return self._session.health()

    @property
    def connections(self) -> int:
        """Connections opened so far; each one after the first is a reconnect (metrics)."""
        return self._connections

    def _mark(self) -> int:
        """Every message yielded up to this UID is filed; `_last_uid` is the highest yielded."""
        return min(self._open) - 1 if self._open else self._last_uid

    def fetch(self, limit: int | None = None) -> Iterator[RawMessage]:
        """Yield the inbox's unfiled messages in UID order, in batches, without setting \\Seen.

        A message yielded but not acked is yielded again by the next fetch, as the Maildir
        source does: it is still in the inbox, so it is not handled yet. The inbox is
        searched a window of UIDs at a time (see `_window`), so a backlog of any size costs
        the same memory; mail that arrives during a fetch is read by the next one.
        """
        yielded = 0
        cursor: int | None = None
        searched = bound = 0
        pending: list[int] = []
        seen_at = (self._epoch, self._connections)

        def next_batch(client: IMAPClient) -> list[tuple[int, bytes]]:
            nonlocal cursor, searched, bound, pending, seen_at
            if (self._epoch, self._connections) != seen_at or cursor is None:
                if seen_at[0] != self._epoch:
                    cursor = None
                if cursor is None:
                    self._sync(client)
                    bound = self._uidnext - 1
                    cursor = self._mark()
                searched, pending = cursor, []
                seen_at = (self._epoch, self._connections)
            while not pending and searched < bound:
                pending, searched = self._window(client, searched, bound)
            room = self.settings.batch_size if limit is None else limit - yielded
            take = pending[: min(room, self.settings.batch_size)]
            if not take:
                return []
            response = client.fetch(take, [b"BODY.PEEK[]"])
            self._session.checked()
            cursor, pending = take[-1], pending[len(take) :]
            return [(uid, response[uid][b"BODY[]"]) for uid in take if uid in response]

        while limit is None or yielded < limit:
            batch = self._session.run("fetch", next_batch)
            if not batch and not pending:
                return
            for uid, data in batch:
                self._open.add(uid)
                self._last_uid = max(self._last_uid, uid)
                yielded += 1
                yield RawMessage(key=f"{self._uidvalidity}:{uid}", data=data)
                if limit is not None and yielded >= limit:
                    return

    def _window(self, client: IMAPClient, after: int, bound: int) -> tuple[list[int], int]:
        """The inbox's UIDs above `after`, from the first window of UIDs up to `bound` that
        holds any; returns them sorted, with the last UID searched.

        `SEARCH UID n:*` would answer with every UID of the backlog at once (50,000 of them
        took 11 MB of the reader's memory); a window holds at most WINDOW << WIDEN_UP_TO
        UIDs. It widens while it finds none, so a long stretch of filed mail costs few
        searches. An unacked message that is in a searched window no more was filed by
        someone else, and stops holding back the position `state()` reports.
        """
        width = WINDOW
        while after < bound:
            top = min(bound, after + width)
            found = set(client.search(["UID", f"{after + 1}:{top}"]))
            self._open -= {uid for uid in self._open if after < uid <= top and uid not in found}
            fresh = sorted(found)
            after = top
            if fresh:
                return fresh, top
            width = min(width * 2, WINDOW << WIDEN_UP_TO)
        return [], after

    def ack(self, key: str, outcome: Outcome) -> None:
        """File one message by MOVE (or COPY + \\Deleted + UID EXPUNGE); gone already is fine."""
        self.ack_many([(key, outcome)])

    def ack_many(self, items: Sequence[tuple[str, Outcome]]) -> None:
        """File messages with one UID MOVE per destination folder (or COPY + \\Deleted + UID
        EXPUNGE of the set); those already gone are fine."""
        folders: dict[str, list[tuple[int, int]]] = {}
        for key, outcome in items:
            try:
                validity, uid = (int(part) for part in key.split(":"))
            except ValueError:
                raise ValueError(f"not an IMAP message key: {key!r}") from None
            folder = self.settings.processed if outcome == "processed" else self.settings.quarantine
            folders.setdefault(folder, []).append((validity, uid))

        def file_them(client: IMAPClient) -> None:
            for folder, keys in folders.items():
                for v, u in keys:
                    if v != self._uidvalidity:
                        logger.warning(
                            "IMAP message %s:%s predates a UIDVALIDITY change; not filed", v, u
                        )
                uids = [u for v, u in keys if v == self._uidvalidity]
                if uids:
                    self._filer.file(client, uids, folder, self._uidvalidity)

        self._session.run("ack", file_them)
        self._open.difference_update(uid for keys in folders.values() for _, uid in keys)

    def put_back(self, key: str, data: bytes) -> None:
        """Hand a quarantined message back: APPEND it to the inbox, drop the quarantined copy.

        The copy is found by its exact bytes' Message-ID header when it has one; without
        one it stays in the quarantine folder for a person to remove.
        """
        del key  # the UID was the inbox's; the message has another one in quarantine now
        message_id = _message_id(data)

        def append(client: IMAPClient) -> None:
            client.append(self.settings.inbox, data)
            if not message_id:
                return
            client.select_folder(self.settings.quarantine)
            try:
                found = client.search(["HEADER", "Message-ID", message_id])
                if found:
                    client.delete_messages(found)
                    client.expunge()
            finally:
                client.select_folder(self.settings.inbox)

        self._session.run("put back", append)

    def wait(self, timeout: float) -> bool:
        """Block until new mail may be there (True) or `timeout` seconds pass (False).

        Uses IDLE when the server offers it and settings allow, re-issued before
        `idle_renew_seconds`; otherwise polls every `poll_seconds`. A server that goes away
        meanwhile is reconnected within the same deadline; mail that arrived during the outage
        makes this return True.
        """
        deadline = time.monotonic() + timeout
        try:
            return self._session.run("wait", lambda c: self._wait_on(c, deadline), deadline)
        except MailboxUnreachable:
            return False

    def _sync(self, client: IMAPClient) -> bool:
        """Bring the session's view up to date; True when UIDVALIDITY changed (then reselect).

        SEARCH runs on the session's last view, so mail appended by others is found only after
        a NOOP. A folder deleted and re-created under an open session keeps the old
        UIDVALIDITY in that session (seen with Dovecot 2.3) while its UIDs start again from 1,
        so STATUS asks for the real one.
        """
        client.noop()
        status = client.folder_status(self.settings.inbox, [b"UIDVALIDITY", b"UIDNEXT"])
        self._uidnext = int(status[b"UIDNEXT"])
        if int(status[b"UIDVALIDITY"]) == self._uidvalidity:
            return False
        self._prepare(client)
        return True

    def _has_new_mail(self, client: IMAPClient) -> bool:
        if self._sync(client):
            return True
        found, _ = self._window(client, self._last_uid, self._uidnext - 1)
        self._session.checked()
        return bool(found)

    def _wait_on(self, client: IMAPClient, deadline: float) -> bool:
        return wait_for_mail(
            client,
            deadline,
            self.settings,
            can_idle=self._can_idle,
            has_new_mail=self._has_new_mail,
            checked=self._session.checked,
            sleep=self._sleep,
        )

    def _prepare(self, client: IMAPClient) -> None:
        """On each (re)connection: learn capabilities, create folders, select, check UIDVALIDITY."""
        settings = self.settings
        self._filer.learn(client)
        self._can_idle = client.has_capability("IDLE")
        for folder in (settings.inbox, settings.processed, settings.quarantine):
            self._filer.ensure_folder(client, folder)
        selected = client.select_folder(settings.inbox)
        validity = int(selected[b"UIDVALIDITY"])
        if self._uidvalidity is not None and validity != self._uidvalidity:
            logger.warning(
                "IMAP %s folder %s: UIDVALIDITY changed from %s to %s; reading it again from the"
                " start",
                settings.address,
                settings.inbox,
                self._uidvalidity,
                validity,
            )
            self._last_uid = 0
            self._open.clear()
            self._epoch += 1
        self._uidvalidity = validity
        self._connections += 1

    def close(self) -> None:
        """Log out; a connection that is already dead is just dropped."""
        self._session.close()


def _message_id(data: bytes) -> str:
    return str(BytesHeaderParser().parsebytes(data).get("Message-ID", "")).strip()
