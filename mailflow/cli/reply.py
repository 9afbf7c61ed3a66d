"""`mailflow reply CR-ID --as ADDRESS TEXT…`: the reply a person's mail client would send.

Under the default policy a reply counts only when it answers the very mail mailflow sent
that person at the CR's current step, which a hand-written file rarely does. This writes
the reply their client would: to their newest mail on the CR, with its subject, its
threading headers and the quoted text, so that trying mailflow, testing a configuration
or following the README moves a CR without crafting headers. It writes into the inbox
only; `mailflow run --once` (or the running service) handles it like any other mail.

It writes into the embedded Maildir inbox only, unless --i-know is given: in a real
mailbox a reply in someone else's name is a forgery that people would read too.
"""

from __future__ import annotations

import argparse
import email
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid

from sqlmodel import col, select

from mailflow.app import App, build_app
from mailflow.errors import MailflowError, NotFound
from mailflow.store.tables import ChangeRequest, OutboxRow


def latest_to(app: App, address: str, cr_id: str, fallback: bool = False) -> EmailMessage | None:
    """The newest copy mailflow sent `address` on this CR: the mail their client replies to.

    With `fallback`, someone who was sent nothing replies to the CR's newest mail instead
    (the demo's wrong-sender step).
    """
    with app.db.session() as session:
        rows = session.exec(
            select(OutboxRow).where(OutboxRow.cr_id == cr_id).order_by(col(OutboxRow.id).desc())
        ).all()
    address = address.lower()
    chosen = next((row for row in rows if address in row.recipients), None)
    if chosen is None and fallback and rows:
        chosen = rows[0]
    return email.message_from_bytes(chosen.data, policy=default_policy) if chosen else None


def compose_reply(
    app: App, sender: str, body: str, parent: EmailMessage, attachment: str = ""
) -> EmailMessage:
    """What a mail client sends on "Reply": threaded under `parent`, quoting it below."""
    person = app.settings.person(sender)
    msg = EmailMessage()
    msg["From"] = f"{person.name if person else sender} <{sender}>"
    msg["To"] = app.settings.shared_inbox
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=sender.partition("@")[2] or None)
    subject = str(parent["Subject"] or "")
    msg["Subject"] = subject if subject.lower().startswith("re:") else f"RE: {subject}"
    parent_id = str(parent["Message-ID"]).strip()
    earlier = str(parent["References"] or "").split()
    msg["In-Reply-To"] = parent_id
    msg["References"] = " ".join([*earlier[-9:], parent_id])
    text = parent.get_body(("plain",))
    lines = text.get_content().splitlines() if text else []
    quoted = f"\n\nOn {parent['Date']}, {parent['From']} wrote:\n" + "\n".join(
        f"> {line}" for line in lines
    )
    msg.set_content(body + quoted)
    if attachment:
        msg.add_attachment(
            f"{attachment}: demo content\n".encode(),
            maintype="application",
            subtype="octet-stream",
            filename=attachment,
        )
    return msg


def cmd_reply(args: argparse.Namespace) -> int:
    app = build_app(args.config)
    try:
        settings = app.settings
        if settings.source_kind != "maildir" and not args.i_know:
            raise MailflowError(
                "mailflow reply writes into the embedded Maildir inbox only; this "
                f"configuration reads a real mailbox ({settings.source_kind}), where a reply "
                "in someone else's name would be a forgery. Add --i-know to write it there "
                "anyway"
            )
        cr_id, sender = args.cr_id.upper(), args.sender.lower()
        with app.db.session() as session:
            if session.get(ChangeRequest, cr_id) is None:
                raise NotFound(f"no CR {cr_id} (mailflow cr list shows the open ones)")
        parent = latest_to(app, sender, cr_id)
        if parent is None:
            raise NotFound(
                f"mailflow has sent {sender} no mail about {cr_id}, so there is nothing "
                "to reply to; `mailflow cr show` lists whom the CR waits on"
            )
        msg = compose_reply(app, sender, "\n".join(args.text), parent)
        where = _write(app, msg.as_bytes())
        print(f"{sender} replied to {str(parent['Subject'])!r}; the reply is in {where}.")
        print("`mailflow run --once` handles it (the running service does so by itself).")
        return 0
    finally:
        app.close()


def _write(app: App, data: bytes) -> str:
    """Into the inbox the service reads; returns where, in words."""
    settings = app.settings
    if settings.source_kind == "maildir":
        from mailflow.transport.maildir import deliver

        deliver(settings.maildir_root, data)
        return f"the Maildir folder {settings.maildir_root / 'inbox'}"
    from mailflow.transport.imap import ImapSource

    source = ImapSource(settings.imap, None)
    try:
        source.put_back("", data)  # APPEND to the inbox, as a delivered mail
    finally:
        source.close()
    return f"the {settings.source_kind} inbox"
