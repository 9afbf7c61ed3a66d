"""Commands for operating the service: the quarantine, the database schema, and the
verdict `mailflow status` prints about the service itself."""

from __future__ import annotations

import argparse
import socket
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from mailflow.config.settings import Settings
    from mailflow.service.health import Verdict
    from mailflow.store.heartbeat import DaemonBeat, Heartbeat
    from mailflow.store.lease import SourceLease


def service_verdict(conn: Connection, settings: Settings, now: datetime) -> Verdict:
    """The watchers and daemons, judged from where `status` runs (a process gone on this
    machine is stopped at once), and every place the service writes to that is full or
    read-only."""
    from sqlalchemy import select

    from mailflow.service.health import Here, judge, write_faults, write_places
    from mailflow.service.node import NODE, pid_gone
    from mailflow.store.read_tables import daemon_beat, heartbeat, source_lease

    leases = {row.source: row for row in conn.execute(select(source_lease))}
    here = Here(socket.gethostname(), NODE, pid_gone)
    verdict = judge(
        cast("list[Heartbeat]", conn.execute(select(heartbeat).order_by(heartbeat.c.source)).all()),
        now,
        settings.unhealthy_after_seconds,
        cast(
            "list[DaemonBeat]",
            conn.execute(select(daemon_beat).order_by(daemon_beat.c.daemon)).all(),
        ),
        cast("dict[str, SourceLease]", leases),
        here,
    )
    for fault in write_faults(write_places(settings)):
        verdict.healthy = False
        verdict.lines.append(
            f"data: UNHEALTHY — {fault.line()}; mail waits in the mailbox until it can be written"
        )
    return verdict


def build_quarantine(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add `quarantine list|show|release` to its parser."""
    q = parser.add_subparsers(metavar="ACTION")
    q.add_parser("list", parents=[common], help="quarantined messages").set_defaults(
        func=cmd_quarantine_list
    )
    show = q.add_parser("show", parents=[common], help="one message: why, and its headers")
    show.add_argument("id", type=int, help="the number `quarantine list` shows")
    show.set_defaults(func=cmd_quarantine_show)
    release = q.add_parser(
        "release", parents=[common], help="hand a message back to the inbox, to be handled anew"
    )
    release.add_argument("id", type=int, help="the number `quarantine list` shows")
    release.set_defaults(func=cmd_quarantine_release)


def build_db(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add `db upgrade` and `db revision` to its parser."""
    db = parser.add_subparsers(metavar="ACTION")
    db.add_parser(
        "upgrade",
        parents=[common],
        help="bring the database schema up to this version (copies a SQLite file first)",
    ).set_defaults(func=cmd_db_upgrade)
    db.add_parser(
        "revision", parents=[common], help="the database's schema revision and the one needed"
    ).set_defaults(func=cmd_db_revision)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from mailflow.config.settings import load_settings
    from mailflow.store.session import Database

    settings = load_settings(args.config)
    db = Database(settings.database_url, on_old_schema="upgrade")
    try:
        if db.upgraded is None:
            print("the database schema is already current")
        else:
            print(f"the database schema was upgraded from {db.upgraded[0]} to {db.upgraded[1]}")
    finally:
        db.dispose()
    return 0


def cmd_db_revision(args: argparse.Namespace) -> int:
    from mailflow.config.settings import load_settings
    from mailflow.store import schema
    from mailflow.store.session import Database

    settings = load_settings(args.config)
    db = Database(settings.database_url, on_old_schema="leave")
    try:
        with db.engine.connect() as conn:
            current = schema.revision(conn)
        print(f"database: {current or 'empty'}; this mailflow needs: {schema.head()}")
        return 0 if current == schema.head() else 1
    finally:
        db.dispose()


def cmd_quarantine_list(args: argparse.Namespace) -> int:
    from mailflow.app import build_app
    from mailflow.service.quarantine import waiting

    app = build_app(args.config)
    with app.db.session() as session:
        rows = waiting(session)
    for row in rows:
        print(
            f"{row.id:>6}  {row.received_at:%Y-%m-%d %H:%M}  {row.sender or '-':<28.28} "
            f"{row.subject[:40]:<40}  {row.reason.splitlines()[0][:80] if row.reason else ''}"
        )
    print(f"{len(rows)} quarantined message(s)")
    return 0


def cmd_quarantine_show(args: argparse.Namespace) -> int:
    from email.parser import BytesHeaderParser

    from mailflow.app import build_app
    from mailflow.service.quarantine import entry

    app = build_app(args.config)
    with app.db.session() as session:
        row = entry(session, args.id)
    print(f"id: {row.id}\nreceived: {row.received_at:%Y-%m-%d %H:%M:%S} UTC")
    print(f"from: {row.sender}\nsubject: {row.subject}\nMessage-ID: {row.message_id}")
    print(f"reason: {row.reason}\nrules: {row.rules or '-'}")
    if row.raw:
        headers = BytesHeaderParser().parsebytes(row.raw)
        print(f"size: {len(row.raw)} bytes\n")
        for name, value in headers.items():
            print(f"{name}: {value}")
    return 0


def cmd_quarantine_release(args: argparse.Namespace) -> int:
    from mailflow.app import build_app
    from mailflow.service.quarantine import release
    from mailflow.transport.factory import open_source

    app = build_app(args.config)
    source = open_source(app.settings)
    try:
        with app.db.transaction() as session:
            row = release(session, source, args.id, datetime.now(UTC))
    finally:
        source.close()
    print(f"message {row.id} is back in the inbox; the service handles it as a new message")
    return 0
