"""Shared test tools: an app on a temporary data folder, and people who write real mail."""

from __future__ import annotations

import dataclasses
import email
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from pathlib import Path

from sqlmodel import col, select

from mailflow.app import App, app_from_settings
from mailflow.config.settings import Settings, load_settings
from mailflow.service.daemon import Daemon
from mailflow.store.message_tables import LedgerEntry, OutboxRow
from mailflow.store.tables import AuditEvent, ChangeRequest
from mailflow.transport.maildir import MaildirSink, MaildirSource, deliver

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = ROOT / "config.example.toml"
INBOX = "approvals@ft.example"


class Clock:
    """A clock the test moves by hand, so reminders can be tested without waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def example_changed(folder: Path, *changes: tuple[str, str]) -> Path:
    """The example configuration with its data folder in `folder` and each (old, new)
    change made once (each must apply), written to `folder`/mailflow.toml."""
    text = EXAMPLE_CONFIG.read_text().replace(
        'data_dir = "mailflow-data"', f'data_dir = "{folder / "d"}"'
    )
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = folder / "mailflow.toml"
    path.write_text(text)
    return path


def make_app(
    folder: Path,
    database_url: str | None = None,
    adjust: Callable[[Settings], Settings] | None = None,
) -> App:
    settings = load_settings(EXAMPLE_CONFIG)
    settings = dataclasses.replace(
        settings,
        data_dir=folder,
        database_url=database_url or f"sqlite:///{folder / 'mailflow.db'}",
        maildir_root=folder / "mail",
    )
    return app_from_settings(adjust(settings) if adjust else settings)


class Desk:
    """The whole service on a temporary folder plus a cast that mails it, like the demo."""

    def __init__(
        self,
        folder: Path,
        database_url: str | None = None,
        adjust: Callable[[Settings], Settings] | None = None,
    ) -> None:
        self.app = make_app(folder, database_url, adjust)
        self.root = folder / "mail"
        self.clock = Clock()
        self.source = MaildirSource(self.root)
        self.sink = MaildirSink(self.root)
        self.daemon = Daemon(self.app, self.source, self.sink, clock=self.clock)
        self.handled: list = []
        self.daemon.on_message = self.handled.append

    def close(self) -> None:
        self.daemon.close_helper()
        self.source.close()
        self.sink.close()
        self.app.close()

    # --- people write ---------------------------------------------------------------
    def open_cr(
        self,
        sender: str = "priya@ft.example",
        subject: str = "Loyalty export",
        body: str = "Customer: acme\n\nPlease add loyalty points.",
        cc: str = "",
    ) -> str:
        msg = self.mail(sender, subject, body)
        if cc:
            msg["Cc"] = cc
        self.send(msg)
        with self.app.db.session() as s:
            return s.exec(select(ChangeRequest.id).order_by(col(ChangeRequest.id).desc())).first()

    def mail(self, sender: str, subject: str, body: str, **headers: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = INBOX
        msg["Subject"] = subject
        msg["Date"] = format_datetime(self.clock())
        msg["Message-ID"] = make_msgid(domain=sender.partition("@")[2] or "example.com")
        for key, value in headers.items():
            msg[key.replace("_", "-")] = value
        msg.set_content(body)
        return msg

    def reply(
        self,
        sender: str,
        cr_id: str,
        body: str,
        *,
        quote: bool = True,
        attachment: str = "",
        token: bool = True,
        **headers: str,
    ) -> EmailMessage:
        """A reply to the newest mail this person got on the CR, quoted as clients do."""
        parent = self.last_mail_to(sender, cr_id)
        subject = f"RE: {parent['Subject']}" if parent else f"RE: [{cr_id}] update"
        if not token:
            subject = subject.replace(f"[{cr_id}] ", "")
        msg = self.mail(sender, subject, body, **headers)
        if parent is not None:
            msg["In-Reply-To"] = parent["Message-ID"]
            msg["References"] = parent["Message-ID"]
            if quote:
                text = parent.get_body(("plain",)).get_content()
                msg.set_content(
                    body
                    + "\n\nOn Mon, FT wrote:\n"
                    + "\n".join(f"> {line}" for line in text.splitlines())
                )
        if attachment:
            msg.add_attachment(
                b"%PDF-1.4 test", maintype="application", subtype="pdf", filename=attachment
            )
        return msg

    def send(self, msg: EmailMessage | bytes) -> None:
        """Drop into the inbox and run one daemon cycle."""
        deliver(self.root, msg if isinstance(msg, bytes) else msg.as_bytes())
        self.daemon.run(once=True)

    def say(self, sender: str, cr_id: str, body: str, **kwargs: object) -> None:
        self.send(self.reply(sender, cr_id, body, **kwargs))  # type: ignore[arg-type]

    # --- what came back ------------------------------------------------------------
    def cr(self, cr_id: str) -> ChangeRequest:
        with self.app.db.session() as s:
            cr = s.get(ChangeRequest, cr_id)
            assert cr is not None
            return cr

    def stage(self, cr_id: str) -> str:
        return self.cr(cr_id).stage

    def outbox(self, cr_id: str | None = None) -> list[OutboxRow]:
        with self.app.db.session() as s:
            q = select(OutboxRow).order_by(col(OutboxRow.id))
            if cr_id:
                q = q.where(OutboxRow.cr_id == cr_id)
            return list(s.exec(q).all())

    def last_mail_to(self, address: str, cr_id: str) -> EmailMessage | None:
        for row in reversed(self.outbox(cr_id)):
            if address in row.recipients:
                return email.message_from_bytes(row.data, policy=default_policy)  # type: ignore[return-value]
        return None

    def templates_sent(self, since: int = 0) -> list[tuple[str, list[str]]]:
        """One entry per logical mail (its copies grouped), recipients in To-then-Cc order."""
        groups: dict[str, tuple[str, list[str]]] = {}
        for r in self.outbox()[since:]:
            entry = groups.setdefault(r.group_id or r.message_id, (r.template, []))
            entry[1].extend(a for a in r.recipients if a not in entry[1])
        return list(groups.values())

    def events(self, cr_id: str, kinds: Iterable[str] | None = None) -> list[AuditEvent]:
        with self.app.db.session() as s:
            q = select(AuditEvent).where(AuditEvent.cr_id == cr_id).order_by(col(AuditEvent.id))
            rows = list(s.exec(q).all())
        return [e for e in rows if kinds is None or e.kind in set(kinds)]

    def ledger(self) -> list[LedgerEntry]:
        with self.app.db.session() as s:
            return list(s.exec(select(LedgerEntry).order_by(col(LedgerEntry.id))).all())

    def sent_files(self) -> list[Path]:
        return sorted((self.root / "sent").glob("*/*"))
