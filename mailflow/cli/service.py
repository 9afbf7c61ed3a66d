"""`mailflow run`, `check` and `status`: the commands ops type around the service."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mailflow.errors import ConfigError, NoSchemaYet

if TYPE_CHECKING:
    from mailflow.app import App
    from mailflow.config.settings import Settings


def _app(args: argparse.Namespace, reading: bool = False) -> App:
    """The app; for a command that only reads, its configuration checked as it is read."""
    from mailflow.app import build_app

    return build_app(args.config, as_used=reading)


def _now() -> datetime:
    return datetime.now(UTC)


def mailbox_of(settings: Settings) -> str:
    """Where mail is read from, in words a newcomer can follow."""
    if settings.source_kind == "imap":
        imap = settings.imap
        return f"the IMAP folder {imap.inbox} of {imap.username} on {imap.host}"
    return f"the Maildir folder {settings.maildir_root / 'inbox'}"


def cmd_run(args: argparse.Namespace) -> int:
    from mailflow.cli.packages import missing
    from mailflow.service import logs
    from mailflow.service.daemon import Daemon
    from mailflow.service.lease import MailboxLease
    from mailflow.service.run import attach
    from mailflow.store.heartbeat import Heartbeat
    from mailflow.transport.factory import open_sink, open_source, source_name

    app = _app(args)
    lacking = missing(app.settings)
    if lacking:
        raise ConfigError(lacking)
    logs.mask_secrets(logs.secrets_of(app.settings))
    name = source_name(app.settings)
    with app.db.session() as session:
        saved = session.get(Heartbeat, name)
        state = dict(saved.state) if saved else None
    source, sink = open_source(app.settings, state), open_sink(app.settings)
    lease = MailboxLease(app.db, name, app.settings.lease_seconds, app.settings.daemon_name)
    daemon = Daemon(app, source, sink, source_name=name, lease=lease)
    detach = attach(daemon)
    try:
        daemon.run(once=args.once)
        if args.once and daemon.counts.handled == 0:
            print(
                f"No mail was waiting. mailflow reads {mailbox_of(app.settings)}. To see it at "
                "work, run `mailflow demo`; to move a CR by hand, `mailflow reply CR-ID --as "
                'ADDRESS "APPROVED"` writes a reply there, then run `mailflow run --once`.'
            )
    finally:
        detach()
        source.close()
        sink.close()
        app.close()
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from mailflow.cli.packages import missing

    app = _app(args)
    s, wf = app.settings, app.workflow
    problems = missing(s)
    if args.for_unit:
        from mailflow.cli.unit import read_unit, unit_problems

        problems += unit_problems(read_unit(Path(args.for_unit)), s)
    if problems:
        raise ConfigError(problems)
    print(
        f"{s.path}: OK — workflow {wf.name!r} ({len(wf.stages)} stages, {len(wf.ends)} ends), "
        f"{len(s.people)} people, {len(s.accounts)} accounts, source {s.source_kind}, "
        f"sink {s.sink_kind}" + (f"; fits the unit {args.for_unit}" if args.for_unit else "")
    )
    return 0


def _no_database_yet(app: App) -> Path | None:
    """The SQLite file `status` would otherwise create, when it does not exist yet."""
    url = app.settings.database_url
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    return None if path.exists() else path


def cmd_status(args: argparse.Namespace) -> int:
    """Counts and the watcher's health; exit 1 when unhealthy, for monitoring.

    It only reads: with no database yet it says so and makes none (nor its folder).
    """
    app = _app(args, reading=True)
    try:
        missing_db = _no_database_yet(app)
        if missing_db is not None:
            return print_empty_status(app, f"none yet at {missing_db}", _now())
        try:
            app.for_reading()
        except NoSchemaYet:
            return print_empty_status(app, f"{_redacted(app)} is still empty", _now())
        return print_status(app, _now())
    finally:
        app.close()


def _redacted(app: App) -> str:
    """The database's address without its credentials."""
    return app.settings.database_url.split("@")[-1]


def print_empty_status(app: App, database: str, now: datetime) -> int:
    """What `status` says before the first `mailflow run`, with nothing created."""
    from mailflow.service.health import judge

    print(f"database: {database} (the first `mailflow run` sets it up)")
    print("open CRs: 0\nmessages: none yet\nlast message handled: never\noutbox: empty")
    print("rate limits: nothing held back")
    for line in judge([], now, app.settings.unhealthy_after_seconds).lines:
        print(line)
    return 1


def print_status(app: App, now: datetime) -> int:
    from sqlalchemy import func, select

    from mailflow.cli.ops import service_verdict
    from mailflow.security.held_back import deferred_summary
    from mailflow.service.canary_health import judge_canary
    from mailflow.store.read_tables import change_request, message_ledger, outbox

    ledger_t, cr = message_ledger.c, change_request.c
    with app.for_reading().connect() as conn:
        verdict = service_verdict(conn, app.settings, now)
        ledger = conn.execute(
            select(ledger_t.outcome, func.count()).group_by(ledger_t.outcome)
        ).all()
        mail = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
        open_crs = conn.execute(
            select(func.count())
            .select_from(change_request)
            .where(cr.stage.not_in(list(app.workflow.ends)))
        ).scalar_one()
        last = conn.execute(select(func.max(ledger_t.received_at))).scalar_one()
        deferred = deferred_summary(conn, now)
        failed = {status: n for status, n in mail}.get("failed", 0)
        if failed:
            verdict.healthy = False
            verdict.lines.append(
                f"outbox: UNHEALTHY — {failed} mail(s) failed for good; each is on its CR's "
                "timeline (mailflow cr show) as delivery_failed"
            )
        judge_canary(conn, now, app.settings.canary, verdict)
    print(f"database: {_redacted(app)}")
    print(f"open CRs: {open_crs}")
    print("messages: " + (", ".join(f"{k} {v}" for k, v in ledger) or "none yet"))
    print(
        f"last message handled: {last:%Y-%m-%d %H:%M:%S} UTC"
        if last
        else "last message handled: never"
    )
    print("outbox: " + (", ".join(f"{k} {v}" for k, v in mail) or "empty"))
    print(deferred)
    for line in verdict.lines:
        print(line)
    return 0 if verdict.healthy else 1
