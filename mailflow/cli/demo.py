"""`mailflow demo`: the example configuration's people drive one CR from request to go-live.

Every step is a real message written into the inbox Maildir and handled by the real
daemon loop; replies answer the mail mailflow actually sent, quoting it the way a mail
client would (`mailflow reply` writes the same), so the demo also shows that decision
words in quoted text are ignored. It prints the story: each mail as written, what
mailflow did with it and what it sent; the service's log lines only with -v. It ends
by naming the folder of the mails and how to read one.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from sqlmodel import col, select

from mailflow.app import App, app_from_settings
from mailflow.cli.reply import compose_reply, latest_to
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


Say = Callable[[str], None]
HOW = {"new": "writes to the shared inbox:", "ooo": "is away; their mail client answers"}


def cmd_demo(args: argparse.Namespace) -> int:
    return play(args.config, args.data_dir, quiet=args.quiet, verbose=args.verbose)


def play(
    config: str | None, data_dir: str | None, quiet: bool = False, verbose: bool = False
) -> int:
    """Run the script; print each step and the final timeline. Exit 0 when the CR closed."""
    folder = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="mailflow-demo-"))
    app = _demo_app(config, folder)
    source = MaildirSource(app.settings.maildir_root)
    sink = MaildirSink(app.settings.maildir_root)
    daemon = Daemon(app, source, sink)
    say: Say = (lambda _: None) if quiet else print
    say(
        f"mailflow demo: {len(SCRIPT)} mails from the people of the example configuration, "
        "each handled by the real service loop\n"
    )
    handled: list[str] = []
    daemon.on_message = lambda h: handled.append(f"{h.outcome}: {h.reason}")
    cr_id = ""
    try:
        with _logs_hidden(not verbose):
            for step, line in enumerate(SCRIPT, 1):
                handled.clear()
                cr_id = _play_step(app, daemon, step, line, cr_id, say, handled) or cr_id
        return _finish(app, cr_id, app.settings.maildir_root)
    finally:
        daemon.close_helper()
        source.close()
        sink.close()
        app.close()


def _demo_app(config: str | None, folder: Path) -> App:
    settings = dataclasses.replace(
        load_settings(config),
        data_dir=folder,
        database_url=f"sqlite:///{folder / 'mailflow.db'}",
        maildir_root=folder / "mail",
        source_kind="maildir",
        sink_kind="maildir",
    )
    return app_from_settings(settings)


@contextmanager
def _logs_hidden(hidden: bool) -> Iterator[None]:
    """The story without the service's log lines (warnings included); errors still show."""
    if hidden:
        logging.disable(logging.WARNING)
    try:
        yield
    finally:
        if hidden:
            logging.disable(logging.NOTSET)


def _play_step(
    app: App,
    daemon: Daemon,
    step: int,
    line: tuple[str, str, str, str],
    cr_id: str,
    say: Say,
    handled: list[str],
) -> str:
    """Write one scripted mail into the inbox, let the service handle it, tell the story."""
    sender, body, attachment, kind = line
    parent = latest_to(app, sender, cr_id, fallback=True) if cr_id else None
    msg = cast_message(app, sender, body, attachment, kind, parent)
    deliver(app.settings.maildir_root, msg.as_bytes())
    before = _sent_count(app)
    daemon.run(once=True)
    cr_id = cr_id or _latest_cr(app)
    person = app.settings.person(sender)
    name = person.name if person else sender
    how = HOW.get(kind, "replies to")
    subject = parent["Subject"] if parent is not None and kind != "new" else msg["Subject"]
    say(f"{step:>2}. {name} {how} {str(subject)!r}")
    for text in body.splitlines():
        say(f"      | {text}")
    if attachment:
        say(f"      | [attached: {attachment}]")
    say(f"    → {'; '.join(handled)}")
    say(f"    → stage now: {_stage(app, cr_id)}; mails sent: {_sent_since(app, before)}")
    return cr_id


def _finish(app: App, cr_id: str, mail: Path) -> int:
    with app.db.session() as session:
        cr = session.get(ChangeRequest, cr_id) if cr_id else None
        if cr is None:
            raise MailflowError("the demo did not open a CR")
        print()
        print(report.cr_detail(app, session.connection(), cr))
        print(f"\n{cr.id} ended as: {app.workflow.title_of(cr.stage)}")
        closed = cr.stage == completed_end(app)
    print(
        f"\nThe demo's mails are in {mail}: what people wrote in processed/ (once handled), "
        "what mailflow sent in sent/."
    )
    sent = sorted((mail / "sent").glob("*/*"), key=lambda f: f.stat().st_mtime_ns)
    received = sorted((mail / "processed").glob("*/*"), key=lambda f: f.stat().st_mtime_ns)
    if sent:
        print(f"Read the last mail mailflow sent:  cat {sent[-1]}")
    if received:
        print(f"See how mailflow read a reply:     mailflow explain {received[-1]}")
    return 0 if closed else 1


def completed_end(app: App) -> str | None:
    """The end state the last stage's first reply leads to: where a finished CR stops."""
    last = app.workflow.stages[-1]
    return last.replies[0].to if last.replies else None


def cast_message(
    app: App, sender: str, body: str, attachment: str, kind: str, parent: EmailMessage | None
) -> EmailMessage:
    """One scripted person's mail: a new request, an auto-reply, or a reply quoting `parent`."""
    if kind not in ("new", "ooo") and parent is not None:
        return compose_reply(app, sender, body, parent, attachment)
    person = app.settings.person(sender)
    msg = EmailMessage()
    msg["From"] = f"{person.name if person else sender} <{sender}>"
    msg["To"] = app.settings.shared_inbox
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=sender.partition("@")[2])
    if kind == "new" or parent is None:
        msg["Cc"] = "dana@acme.example"
        msg["Subject"] = "Loyalty points in the nightly order export"
        msg.set_content(body)
        return msg
    msg["Subject"] = f"Automatic reply: {parent['Subject']}"
    msg["In-Reply-To"] = str(parent["Message-ID"])
    msg["References"] = str(parent["Message-ID"])
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(body)
    return msg


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
