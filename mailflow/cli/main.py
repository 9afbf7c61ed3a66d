"""Every command a person types. Domain errors become one line on stderr and an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailflow import __version__
from mailflow.errors import ConfigError, MailflowError

if TYPE_CHECKING:
    from mailflow.app import App

# The database layer, the templates and the transports are imported inside the commands
# that need them, so `mailflow --help` and a mistyped command answer at once.


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from mailflow.service import logs

    logs.setup(getattr(args, "log_format", "text"), args.verbose)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        for line in exc.problems:
            print(f"mailflow: {line}", file=sys.stderr)
        return exc.exit_code
    except MailflowError as exc:
        print(f"mailflow: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"mailflow: {_file_problem(exc)}; nothing else was written", file=sys.stderr)
        return 1
    except Exception as exc:
        from mailflow.store.faults import describe, is_transient

        if not is_transient(exc):
            raise
        print(
            f"mailflow: the database could not be used ({describe(exc)}); "
            "nothing was changed, try again once it is back",
            file=sys.stderr,
        )
        return 1


def _file_problem(exc: OSError) -> str:
    """A full disk, a read-only folder or a path through a file: what failed and where."""
    what = exc.strerror or type(exc).__name__
    where = exc.filename if exc.filename is not None else ""
    return f"{what}: {where}" if where else what


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mailflow", description="Change-request approvals over email.")
    p.add_argument("--version", action="version", version=f"mailflow {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        "-c",
        help="configuration file (default: $MAILFLOW_CONFIG, "
        "./mailflow.toml, ./config.toml, ./config.example.toml)",
    )
    common.add_argument("--verbose", "-v", action="store_true", help="log debug detail")
    common.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines for people (text) or one JSON object per line (json)",
    )
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="run the mail processor (the daemon)")
    run.add_argument("--once", action="store_true", help="process what is waiting, then exit")
    run.set_defaults(func=cmd_run)

    from mailflow.cli.web import register as register_web

    register_web(sub, common)

    check = sub.add_parser(
        "check",
        parents=[common],
        help="validate the configuration and its workflow; list every problem",
    )
    check.set_defaults(func=cmd_check)

    explain = sub.add_parser(
        "explain",
        parents=[common],
        help="show how mailflow reads saved messages (nothing sent; the database is only read)",
    )
    explain.add_argument("messages", nargs="+", metavar="MESSAGE.eml", help="raw mail files")
    explain.add_argument("--json", action="store_true", help="one JSON object per line")
    explain.add_argument(
        "--rules",
        action="store_true",
        help="print the handling rules and which one each message would hit "
        "(reads the database, records nothing)",
    )
    explain.set_defaults(func=cmd_explain)

    status = sub.add_parser("status", parents=[common], help="message counts and outbox state")
    status.set_defaults(func=cmd_status)

    wf = sub.add_parser("workflow", help="the workflow definition").add_subparsers(metavar="ACTION")
    show = wf.add_parser("show", parents=[common], help="print stages and transitions")
    show.add_argument("--mermaid", action="store_true", help="print a Mermaid state diagram")
    show.set_defaults(func=cmd_workflow_show)
    words = wf.add_parser(
        "words", parents=[common], help="the words replies are read with: phrases and lists"
    )
    words.set_defaults(func=cmd_workflow_words)

    from mailflow.cli.cr import register
    from mailflow.cli.ops import register as register_ops
    from mailflow.cli.ops import register_db

    register(sub, common)
    register_ops(sub, common)
    register_db(sub, common)
    from mailflow.cli.remind import register as register_remind

    register_remind(sub, common)

    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="play a whole CR lifecycle by mail through the real daemon loop",
    )
    demo.add_argument(
        "--data-dir",
        help="where the demo keeps its database and Maildirs (default: a new temporary folder)",
    )
    demo.add_argument("--quiet", action="store_true", help="print only the final timeline")
    demo.set_defaults(func=cmd_demo)
    return p


def _app(args: argparse.Namespace) -> App:
    from mailflow.app import build_app

    return build_app(args.config)


def _now() -> datetime:
    return datetime.now(UTC)


def cmd_run(args: argparse.Namespace) -> int:
    from mailflow.service.daemon import Daemon
    from mailflow.store.heartbeat import Heartbeat
    from mailflow.transport.factory import open_sink, open_source, source_name

    app = _app(args)
    from mailflow.service import logs
    from mailflow.service.run import attach

    logs.mask_secrets(logs.secrets_of(app.settings))
    name = source_name(app.settings)
    with app.db.session() as session:
        saved = session.get(Heartbeat, name)
        state = dict(saved.state) if saved else None
    source, sink = open_source(app.settings, state), open_sink(app.settings)
    from mailflow.service.lease import MailboxLease

    lease = MailboxLease(app.db, name, app.settings.lease_seconds, app.settings.daemon_name)
    daemon = Daemon(app, source, sink, source_name=name, lease=lease)
    detach = attach(daemon)
    try:
        daemon.run(once=args.once)
    finally:
        detach()
        source.close()
        sink.close()
        app.close()
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    app = _app(args)
    s, wf = app.settings, app.workflow
    print(
        f"{s.path}: OK — workflow {wf.name!r} ({len(wf.stages)} stages, {len(wf.ends)} ends), "
        f"{len(s.people)} people, {len(s.accounts)} accounts, source {s.source_kind}, "
        f"sink {s.sink_kind}"
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Counts and the watcher's health; exit 1 when unhealthy, for monitoring."""
    from sqlmodel import col, func, select

    from mailflow.security.ratelimit import deferred_summary
    from mailflow.service.health import judge
    from mailflow.store.heartbeat import all_beats, all_daemons
    from mailflow.store.tables import ChangeRequest, LedgerEntry, OutboxRow

    app = _app(args)
    with app.db.session() as session:
        verdict = judge(
            all_beats(session),
            _now(),
            app.settings.unhealthy_after_seconds,
            all_daemons(session),
        )
        ledger = session.exec(
            select(LedgerEntry.outcome, func.count()).group_by(LedgerEntry.outcome)
        ).all()
        mail = session.exec(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
        open_crs = session.exec(
            select(func.count())
            .select_from(ChangeRequest)
            .where(col(ChangeRequest.stage).not_in(list(app.workflow.ends)))
        ).one()
        last = session.exec(select(func.max(LedgerEntry.received_at))).one()
    print(f"database: {app.db.url.split('@')[-1]}")
    print(f"open CRs: {open_crs}")
    print("messages: " + (", ".join(f"{k} {v}" for k, v in ledger) or "none yet"))
    print(
        f"last message handled: {last:%Y-%m-%d %H:%M:%S} UTC"
        if last
        else "last message handled: never"
    )
    print("outbox: " + (", ".join(f"{k} {v}" for k, v in mail) or "empty"))
    with app.db.session() as session:
        print(deferred_summary(session, _now()))
    failed = dict(mail).get("failed", 0)
    if failed:
        verdict.healthy = False
        verdict.lines.append(
            f"outbox: UNHEALTHY — {failed} mail(s) failed for good; each is on its CR's "
            "timeline (mailflow cr show) as delivery_failed"
        )
    from mailflow.service.canary import judge_canary

    with app.db.session() as session:
        judge_canary(session, _now(), app.settings.canary, verdict)
    for line in verdict.lines:
        print(line)
    return 0 if verdict.healthy else 1


def cmd_workflow_show(args: argparse.Namespace) -> int:
    from mailflow.views import report

    app = _app(args)
    print(
        report.workflow_mermaid(app.workflow)
        if args.mermaid
        else report.workflow_text(app.workflow)
    )
    return 0


def cmd_workflow_words(args: argparse.Namespace) -> int:
    from mailflow.views.vocabulary import words_text

    print(words_text(_app(args).workflow))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from mailflow.cli.demo import play

    return play(args.config, args.data_dir, quiet=args.quiet)


def cmd_explain(args: argparse.Namespace) -> int:
    from mailflow.chain.explain import explain_files, sender_lookup

    if args.rules:
        from mailflow.chain.dry_run import print_rules

        return print_rules(_app(args), args.messages, _now())
    app = _app(args)  # the vocabulary, our own address, and the sender's record if any
    return explain_files(
        args.messages,
        app.workflow.vocabulary,
        app.settings.own_addresses(),
        as_json=args.json,
        on_record=sender_lookup(app),
    )
