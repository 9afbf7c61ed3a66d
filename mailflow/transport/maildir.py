"""Maildir folders on local disk as a mail source and sink: the embedded default needs no server.

Each folder (inbox, processed, quarantine, sent) is a plain Maildir directly under one root,
so a person can look at the mail with any Maildir-aware client or with `ls`. Filing a message
is a single rename(2), which is atomic on one filesystem: a crash leaves the message either in
the inbox (re-read later, a no-op thanks to the ledger) or in its destination, never in both.
"""

from __future__ import annotations

import hashlib
import logging
import mailbox
import os
import re
from collections.abc import Iterator, Sequence
from email.parser import BytesHeaderParser
from pathlib import Path

from mailflow.errors import SourceError, TransientError, TransientSendError
from mailflow.transport.base import Outcome, RawMessage

logger = logging.getLogger(__name__)

_SUBDIRS = ("tmp", "new", "cur")
_UNIQUE_TIME = re.compile(r"^(\d+)(?:\.M(\d+))?(?:P\d+)?(?:Q(\d+))?")


def _message_id_of(data: bytes) -> str:
    """The Message-ID header of raw bytes, read from the headers only."""
    return str(BytesHeaderParser().parsebytes(data, headersonly=True).get("Message-ID", "")).strip()


def ensure_folder(root: Path, folder: str) -> Path:
    """Create `root/folder/{tmp,new,cur}` when missing and return the folder's path."""
    path = Path(root) / folder
    for sub in _SUBDIRS:
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


def deliver(root: Path, data: bytes, folder: str = "inbox") -> str:
    """Drop one message into `root/folder/new` the way an MDA would; return its Maildir key.

    The message is written to tmp/ and renamed into new/, so a reader never sees half a file.
    """
    path = ensure_folder(root, folder)
    return mailbox.Maildir(str(path), factory=None, create=False).add(data)


def _delivery_order(path: Path) -> tuple[int, int, int, str]:
    """Sort key: the delivery time encoded in the unique name, then the name itself.

    Writers following the Maildir convention start the name with the delivery second and
    usually the microsecond (`1700000000.M123456P42Q7.host`; Q is a per-process counter that
    orders deliveries within one microsecond); the file's mtime stands in for other names.
    """
    name = path.name
    match = _UNIQUE_TIME.match(name)
    if match:
        return int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0), name
    try:
        mtime_ns = path.stat().st_mtime_ns
    except FileNotFoundError:
        mtime_ns = 0
    return mtime_ns // 1_000_000_000, mtime_ns % 1_000_000_000 // 1000, 0, name


class MaildirSource:
    """Reads the inbox Maildir and files handled messages into the processed or quarantine one."""

    def __init__(
        self,
        root: Path,
        inbox: str = "inbox",
        processed: str = "processed",
        quarantine: str = "quarantine",
    ) -> None:
        self.root = Path(root)
        self.inbox = ensure_folder(self.root, inbox)
        self._targets: dict[str, Path] = {
            "processed": ensure_folder(self.root, processed),
            "quarantine": ensure_folder(self.root, quarantine),
        }
        self._colon = mailbox.Maildir.colon

    def _key_of(self, filename: str) -> str:
        return filename.split(self._colon, 1)[0]

    def _inbox_files(self) -> list[Path]:
        files: list[Path] = []
        for sub in ("new", "cur"):
            with os.scandir(self.inbox / sub) as entries:
                files.extend(Path(e.path) for e in entries if not e.name.startswith("."))
        return sorted(files, key=_delivery_order)

    def fetch(self, limit: int | None = None) -> Iterator[RawMessage]:
        """Yield inbox messages (new/ and cur/), oldest delivery first, leaving them in place.

        A message removed by someone else between listing and reading is skipped, not an error.
        """
        try:
            files = self._inbox_files()
        except OSError as exc:
            raise SourceError(f"cannot list Maildir {self.inbox}: {exc}") from exc
        count = 0
        for path in files:
            if limit is not None and count >= limit:
                return
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                logger.info("Maildir message %s vanished before it was read", path.name)
                continue
            count += 1
            yield RawMessage(key=self._key_of(path.name), data=data)

    def _locate(self, key: str) -> Path | None:
        if not key or "/" in key or key.startswith(".") or self._colon in key:
            raise ValueError(f"not a Maildir key: {key!r}")
        fresh = self.inbox / "new" / key
        if fresh.exists():
            return fresh
        for path in (self.inbox / "cur").glob(f"{key}{self._colon}*"):
            return path
        seen = self.inbox / "cur" / key
        return seen if seen.exists() else None

    def ack(self, key: str, outcome: Outcome) -> None:
        """Rename the message into the outcome folder's cur/; a vanished message is only logged."""
        target = self._targets[outcome]
        path = self._locate(key)
        if path is None:
            logger.warning("Maildir message %s is gone from %s; nothing to file", key, self.inbox)
            return
        info = path.name[len(key) :] if path.parent.name == "cur" else ""
        destination = target / "cur" / f"{key}{info or self._colon + '2,'}"
        try:
            os.rename(path, destination)
        except FileNotFoundError:
            logger.warning("Maildir message %s vanished while it was being filed", key)
        except OSError as exc:
            # A read-only or full folder: the message stays in the inbox and is read again
            # later, when the ledger makes it a no-op. One line naming the folder.
            why = exc.strerror or str(exc)
            raise TransientError(f"cannot file message {key} into {target}: {why}") from None

    def put_back(self, key: str, data: bytes) -> None:
        """Hand a quarantined message back: move it to the inbox (or add it when it is gone)."""
        quarantine = self._targets["quarantine"]
        for sub in ("cur", "new"):
            for path in (quarantine / sub).glob(f"{key}*"):
                if self._key_of(path.name) == key:
                    os.rename(path, self.inbox / "new" / key)
                    return
        deliver(self.root, data, self.inbox.name)

    def close(self) -> None:
        """Nothing to release: every call opens and closes what it touches."""


class MaildirSink:
    """Writes outgoing mail into `root/sent` when there is no SMTP server (the embedded default).

    The envelope is kept as `Return-Path` and `X-Envelope-To` headers, as a delivering MTA
    would add them, so Bcc recipients stay visible to whoever inspects the folder.
    """

    def __init__(self, root: Path, folder: str = "sent") -> None:
        self.root = Path(root)
        self.folder = folder
        self.path = ensure_folder(self.root, folder)

    def send(self, envelope_from: str, recipients: Sequence[str], data: bytes) -> None:
        """Store one message with its envelope; a disk fault is transient (the outbox retries)."""
        newline = b"\r\n" if b"\r\n" in data[:2000] else b"\n"
        envelope = (
            b"Return-Path: <" + envelope_from.encode() + b">" + newline
            + b"X-Envelope-To: " + ", ".join(recipients).encode() + newline
        )  # fmt: skip
        try:
            self._deliver_once(envelope + data, _message_id_of(data))
        except OSError as exc:
            raise TransientSendError(f"cannot write to Maildir {self.path}: {exc}") from exc

    def _deliver_once(self, data: bytes, message_id: str) -> None:
        """Store under a name made from the Message-ID, so a resend after a crash is a no-op.

        The file is written in tmp/ and hard-linked into new/: link(2) refuses an existing
        name, so of two deliveries of one Message-ID exactly one lands, even concurrently.
        A message without a Message-ID gets an ordinary unique name.
        """
        if not message_id:
            deliver(self.root, data, self.folder)
            return
        name = "mid-" + hashlib.sha256(message_id.encode()).hexdigest()[:40]
        if (self.path / "new" / name).exists() or any((self.path / "cur").glob(f"{name}*")):
            logger.info("Maildir %s already holds %s; not delivered again", self.path, message_id)
            return
        tmp = self.path / "tmp" / f"{name}.{os.getpid()}"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, self.path / "new" / name)
        except FileExistsError:
            logger.info("Maildir %s already holds %s; not delivered again", self.path, message_id)
        finally:
            tmp.unlink(missing_ok=True)

    def close(self) -> None:
        """Nothing to release."""
