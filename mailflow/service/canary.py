"""The canary: the service mails itself through its real SMTP route and expects the mail
back in its mailbox, so a dead mailbox or a broken route is noticed within minutes.

Each round is a row (CanaryRound) written before the mail is sent, so a crash in
between counts as a missed round, not as silence. The mail is sent from the shared
inbox to itself: when it comes back, the loop guard of the inbound path files it as our
own mail (ignored, recorded in the ledger, never answered, never a CR), and the source
watcher (mailflow.service.run) marks the round returned by the nonce in its header. A mail
carrying an unknown nonce proves nothing and marks nothing.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailflow.store.ops_tables import CanaryRound

if TYPE_CHECKING:  # `mailflow status` judges the rounds; only the service sends them
    from email.message import EmailMessage

    from mailflow.app import App
    from mailflow.transport.base import Sink

log = logging.getLogger(__name__)
HEADER = "X-Mailflow-Canary"
_MARK = HEADER.lower().encode()


def utcnow() -> datetime:
    return datetime.now(UTC)


def canary_mail(app: App, nonce: str, now: datetime) -> EmailMessage:
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import format_datetime, make_msgid

    inbox = app.settings.shared_inbox
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{app.settings.from_name} <{inbox}>"
    msg["To"] = inbox
    msg["Subject"] = f"mailflow canary {now:%Y-%m-%d %H:%M} UTC"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid("canary", domain=app.settings.message_id_domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg[HEADER] = nonce
    msg.set_content(
        "mailflow sends this to itself to check that mail goes out and comes back.\n"
        "It is filed as the service's own mail; nothing needs to be done.\n"
    )
    return msg


class Canary:
    """Sends rounds through `sink` and marks them returned when they are read back."""

    def __init__(self, app: App, sink: Sink, clock: Callable[[], datetime] = utcnow) -> None:
        self.app, self.sink, self.clock = app, sink, clock

    def send_round(self) -> CanaryRound:
        now = self.clock()
        row = CanaryRound(nonce=secrets.token_hex(16), sent_at=now)
        with self.app.db.transaction() as session:
            session.add(row)
        data = canary_mail(self.app, row.nonce, now).as_bytes()
        inbox = self.app.settings.shared_inbox
        try:
            self.sink.send(inbox, [inbox], data)
        except Exception as exc:  # noqa: BLE001 - any failure of the route is the finding
            row.error = f"{type(exc).__name__}: {exc}"[:1000]
            log.warning("canary: sending failed: %s", row.error)
            with self.app.db.transaction() as session:
                session.merge(row)
        return row

    def returned(self, data: bytes) -> bool:
        """Mark the round this message belongs to as back; False for any other message."""
        end = data.find(b"\r\n\r\n")
        end = data.find(b"\n\n") if end < 0 else end
        head = data if end < 0 else data[: end + 2]
        if _MARK not in head.lower():
            return False
        from email.parser import BytesHeaderParser

        nonce = str(BytesHeaderParser().parsebytes(head).get(HEADER, "")).strip()
        with self.app.db.transaction() as session:
            row = session.get(CanaryRound, nonce) if nonce else None
            if row is None:
                return False
            if row.returned_at is None:
                row.returned_at = self.clock()
                session.add(row)
                seconds = (row.returned_at - row.sent_at).total_seconds()
                log.info("canary: round trip in %.1f s", seconds)
        return True
