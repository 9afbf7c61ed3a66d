"""Filing IMAP messages into another folder: MOVE where the server has it, else COPY,
\\Deleted and (UID) EXPUNGE; folders made when missing, messages already gone let be.

Apart from reading because filing meets what other people do to the mailbox meanwhile (a
folder deleted, a message expunged by another client) and must recover from each exactly
once, while a lost connection still goes up to the session to be retried.
"""

from __future__ import annotations

import logging

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import join_message_ids

from mailflow.config.servers import ImapSettings
from mailflow.errors import SourceError
from mailflow.transport.imap_connect import CONNECTION_ERRORS

logger = logging.getLogger("mailflow.transport.imap")  # the source's lines, under its name


class ImapFiler:
    """Files messages of one inbox; `learn` what the server can on each connection."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self.can_move = self.can_uid_expunge = False

    def learn(self, client: IMAPClient) -> None:
        self.can_move = client.has_capability("MOVE")
        self.can_uid_expunge = client.has_capability("UIDPLUS")

    def file(
        self, client: IMAPClient, uids: list[int], folder: str, uidvalidity: int | None
    ) -> None:
        """Move `uids` into `folder`, re-making the folder or skipping vanished ones once."""
        try:
            self.move(client, uids, folder)
        except IMAPClientError as exc:
            if isinstance(exc, CONNECTION_ERRORS):
                raise
            if not client.folder_exists(folder):
                # Someone deleted the folder while we ran: make it again and retry once.
                self.ensure_folder(client, folder)
                self.move(client, uids, folder)
                return
            self._file_what_is_left(client, uids, folder, uidvalidity)

    def _file_what_is_left(
        self, client: IMAPClient, uids: list[int], folder: str, uidvalidity: int | None
    ) -> None:
        """Some may have been expunged by someone else: file the rest, once."""
        client.noop()
        wanted = set(uids)
        left = [uid for uid in client.search(["UID", join_message_ids(uids)]) if uid in wanted]
        gone = sorted(wanted - set(left))
        if gone:
            logger.info(
                "IMAP message(s) %s were already gone from %s",
                ", ".join(f"{uidvalidity}:{uid}" for uid in gone),
                self.settings.inbox,
            )
        if not left:
            return
        try:
            self.move(client, left, folder)
        except IMAPClientError as again:
            if isinstance(again, CONNECTION_ERRORS):
                raise
            raise SourceError(
                f"IMAP could not file {len(left)} message(s) in {folder}: {again}"
            ) from again

    def move(self, client: IMAPClient, uids: list[int], folder: str) -> None:
        if self.can_move:
            client.move(uids, folder)
            return
        client.copy(uids, folder)
        client.delete_messages(uids)
        if self.can_uid_expunge:
            client.uid_expunge(uids)
        else:
            client.expunge()

    def ensure_folder(self, client: IMAPClient, folder: str) -> None:
        if client.folder_exists(folder):
            return
        try:
            client.create_folder(folder)
            logger.info("IMAP %s: created missing folder %s", self.settings.address, folder)
        except IMAPClientError as exc:
            if isinstance(exc, CONNECTION_ERRORS) or not client.folder_exists(folder):
                raise
