"""`mailflow demo`: the example configuration's people drive one CR from request to go-live.

Every step is a real message written into the inbox Maildir and handled by the real
daemon loop; replies answer the mail mailflow actually sent, quoting it the way a mail
client would, so the demo also shows that decision words in quoted text are ignored.
"""

from __future__ import annotations

import dataclasses
import email
import tempfile
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from pathlib import Path

from sqlmodel import col, select

from mailflow.app import App, app_from_settings
from mailflow.config.settings import load_settings
from mailflow.errors import MailflowError
from mailflow.service.daemon import Daemon
from mailflow.store.tables import ChangeRequest, OutboxRow
from mailflow.transport.maildir import MaildirSink, MaildirSource, deliver
from mailflow.views import report


def _weeks_ahead(weeks: int) -> str:
    """A due date that is in the future whenever the demo runs (a past one is refused)."""
    return (datetime.now(UTC).date() + timedelta(weeks=weeks)).isoformat()


# (who, what they write, attachment name or "", kind) — kind "new" opens the CR,
# "ooo" is an out-of-office auto-reply, anything else is a reply to the latest
# mail mailflow sent that person.
SCRIPT: list[tuple[str, str, str, str]] = [
    (
        "priya@ft.example",
        "Customer: acme\n\nDana asked for loyalty points to appear in the "
        "nightly order export.\nThey need it before the spring campaign.",
        "",
        "new",
    ),
    ("integration@ft.example", "IS CR\nIt needs a new export column and a backfill.", "", ""),
    ("integration@ft.example", "CONFIRM", "", ""),
    ("dana@acme.example", "Approved, thanks!", "", ""),
    (
        "amardeep@ft.example",
        "I am out of the office until Monday with limited access to email.",
        "",
        "ooo",
    ),
    ("amardeep@ft.example", "I approve.", "", ""),
    ("priya@ft.example", "DONE — CR document attached.", "CR-loyalty-export.docx", ""),
    (
        "integration@ft.example",
        "DONE\nApproach: add loyalty_points to the export mapping and "
        "backfill 90 days\nEffort: 12\nTimeline: three weeks after approval",
        "",
        "",
    ),
    ("priya@ft.example", "DONE\nCost: USD 9,600", "", ""),
    (
        "amardeep@ft.example",
        "REJECTED the cost is too high for this account; offer 11 days",
        "",
        "",
    ),
    ("priya@ft.example", "DONE\nCost: USD 8,800", "", ""),
    ("amardeep@ft.example", "APPROVED", "", ""),
    ("qa@ft.example", "Approved", "", "customer"),
    ("dana@acme.example", "Looks good to me, but let me check with finance first.", "", ""),
    ("dana@acme.example", "APPROVED. Go ahead.", "", ""),
    (
        "priya@ft.example",
        "DONE\nJira: ACME-482 https://jira.ft.example/browse/ACME-482\nEngineer: kiran@ft.example",
        "",
        "",
    ),
    ("kiran@ft.example", f"DONE\nDue: {_weeks_ahead(6)}", "", ""),
    ("kiran@ft.example", "Done, interface document attached.", "loyalty-export-api.pdf", ""),
    ("dana@acme.example", "Fine with me, thanks Kiran.", "", ""),
    ("dana@acme.example", "CONFIRM", "", ""),
    ("kiran@ft.example", "STATUS export mapping and backfill job written, in review", "", ""),
    ("kiran@ft.example", "DONE", "", ""),
    ("devops@ft.example", "Deployed", "", ""),
    ("qa@ft.example", "PASSED", "", ""),
    ("devops@ft.example", "Deployed", "", ""),
    ("dana@acme.example", "FAILED totals in the export are off by one cent on refunds", "", ""),
    ("kiran@ft.example", "DONE, no issues", "", ""),
    ("devops@ft.example", "Deployed", "", ""),
    ("qa@ft.example", "Passed", "", ""),
    ("devops@ft.example", "Deployed", "", ""),
    ("dana@acme.example", "Signed off.\nUAT complete.", "", ""),
    ("devops@ft.example", "DEPLOYED", "", ""),
    ("dana@acme.example", "Signed off - we are live. Thanks all!", "", ""),
]


def play(config: str | None, data_dir: str | None, quiet: bool = False) -> int:
    """Run the script; print each step and the final timeline. Exit 0 when the CR closed."""
    folder = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="mailflow-demo-"))
    settings = load_settings(config)
    settings = dataclasses.replace(
        settings,
        data_dir=folder,
        database_url=f"sqlite:///{folder / 'mailflow.db'}",
        maildir_root=folder / "mail",
        source_kind="maildir",
        sink_kind="maildir",
    )
    app = app_from_settings(settings)
    source, sink = MaildirSource(settings.maildir_root), MaildirSink(settings.maildir_root)
    daemon = Daemon(app, source, sink)
    say = (lambda *_: None) if quiet else print
    say(f"mailflow demo — data in {folder}\n")
    cr_id = ""
    handled: list[str] = []
    daemon.on_message = lambda h: handled.append(f"{h.outcome}: {h.reason}")
    try:
        for step, (sender, body, attachment, kind) in enumerate(SCRIPT, 1):
            parent = _latest_to(app, sender, cr_id) if cr_id else None
            msg = cast_message(app, sender, body, attachment, kind, parent)
            deliver(settings.maildir_root, msg.as_bytes())
            before = _sent_count(app)
            handled.clear()
            daemon.run(once=True)
            cr_id = cr_id or _latest_cr(app)
            stage = _stage(app, cr_id)
            person = app.settings.person(sender)
            said = str(msg["Subject"]) if kind == "new" else body.splitlines()[0]
            say(
                f"{step:>2}. {person.name if person else sender}: {said[:60]!r}"
                + (f" [+{attachment}]" if attachment else "")
            )
            say(f"    → {'; '.join(handled)}")
            say(f"    → stage now: {stage}; mails sent: {_sent_since(app, before)}")
        with app.db.session() as session:
            cr = session.get(ChangeRequest, cr_id)
            if cr is None:
                raise MailflowError("the demo did not open a CR")
            print()
            print(report.cr_detail(app, session, cr))
            print(f"\n{cr.id} ended as: {app.workflow.title_of(cr.stage)}")
            return 0 if cr.stage == completed_end(app) else 1
    finally:
        source.close()
        sink.close()
        app.close()


def completed_end(app: App) -> str | None:
    """The end state the last stage's first reply leads to: where a finished CR stops."""
    last = app.workflow.stages[-1]
    return last.replies[0].to if last.replies else None


def cast_message(
    app: App, sender: str, body: str, attachment: str, kind: str, parent: EmailMessage | None
) -> EmailMessage:
    """One scripted person's mail: a new request, an auto-reply, or a reply quoting `parent`."""
    person = app.settings.person(sender)
    msg = EmailMessage()
    msg["From"] = f"{person.name if person else sender} <{sender}>"
    msg["To"] = app.settings.shared_inbox
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=sender.partition("@")[2])
    if kind == "new":
        msg["Cc"] = "dana@acme.example"
        msg["Subject"] = "Loyalty points in the nightly order export"
        msg.set_content(body)
        return msg
    subject = str(parent["Subject"]) if parent else "(no subject)"
    msg["Subject"] = ("Automatic reply: " if kind == "ooo" else "RE: ") + subject
    if parent is not None:
        msg["In-Reply-To"] = str(parent["Message-ID"])
        msg["References"] = str(parent["Message-ID"])
    if kind == "ooo":
        msg["Auto-Submitted"] = "auto-replied"
        msg.set_content(body)
        return msg
    quoted = ""
    if parent is not None:
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


def _latest_to(app: App, address: str, cr_id: str) -> EmailMessage | None:
    """The newest mail mailflow sent to someone on this CR — what their client replies to."""
    with app.db.session() as session:
        rows = session.exec(
            select(OutboxRow).where(OutboxRow.cr_id == cr_id).order_by(col(OutboxRow.id).desc())
        ).all()
    for row in rows:
        if address in row.recipients or not app.settings.person(address):
            return email.message_from_bytes(row.data, policy=default_policy)
    return email.message_from_bytes(rows[0].data, policy=default_policy) if rows else None


def _latest_cr(app: App) -> str:
    with app.db.session() as session:
        return (
            session.exec(select(ChangeRequest.id).order_by(col(ChangeRequest.id).desc())).first()
            or ""
        )


def _stage(app: App, cr_id: str) -> str:
    with app.db.session() as session:
        cr = session.get(ChangeRequest, cr_id) if cr_id else None
        return (
            app.workflow.title_of(cr.stage) + (" (on hold)" if cr and cr.held else "")
            if cr
            else "-"
        )


def _sent_count(app: App) -> int:
    with app.db.session() as session:
        return len(session.exec(select(OutboxRow.id)).all())


def _sent_since(app: App, before: int) -> str:
    """The mails sent, one entry per mail however many personal copies it went out as."""
    with app.db.session() as session:
        rows = session.exec(select(OutboxRow).order_by(col(OutboxRow.id)).offset(before)).all()
    mails: dict[str, tuple[str, list[str]]] = {}
    for row in rows:
        template, people = mails.setdefault(row.group_id or row.message_id, (row.template, []))
        people.extend(row.recipients)
    return ", ".join(f"{t} → {', '.join(p)}" for t, p in mails.values()) or "none"
