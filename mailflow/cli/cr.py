"""`mailflow cr …`: what a CSM types to open, inspect, correct and report on CRs.

Acting commands go through the same engine and role checks as mail; only the reply
token is not asked for, since the command line is run by a configured person.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from mailflow.errors import MailflowError, NoSchemaYet, NotFound

if TYPE_CHECKING:
    from mailflow.app import App
    from mailflow.store.cr_state import StoredCR
    from mailflow.store.read_store import ReadStore

# The database layer is imported inside each command: building the parser, which every
# command does, must not pay for it.


def build(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add the actions of `cr` to its parser."""
    cr = parser.add_subparsers(metavar="ACTION")
    new = cr.add_parser("new", parents=[common], help="open a CR (as a CSM)")
    new.add_argument("--account", required=True, help="account key from the configuration")
    new.add_argument("--title", required=True)
    new.add_argument("--description", default="")
    by_option(new)
    new.set_defaults(func=cmd_cr_new)
    lst = cr.add_parser("list", parents=[common], help="list CRs (open ones unless --all)")
    lst.add_argument("--all", action="store_true", help="include ended CRs")
    lst.add_argument("--account", help="account key or name")
    lst.add_argument("--stage", help="stage key or title")
    lst.add_argument("--csm", help="only the accounts of this CSM (address or name)")
    lst.set_defaults(func=cmd_cr_list)
    one = cr.add_parser("show", parents=[common], help="stage, fields, decisions and timeline")
    one.add_argument("cr_id", metavar="CR-ID")
    one.set_defaults(func=cmd_cr_show)
    fix = cr.add_parser("set", parents=[common], help="correct fields (as a CSM or executive)")
    fix.add_argument("cr_id", metavar="CR-ID")
    fix.add_argument(
        "values",
        nargs="+",
        metavar="FIELD=VALUE",
        help="e.g. Cost='USD 9,000' Due=2026-12-18 (field key, label or listed name)",
    )
    fix.add_argument(
        "--reason",
        default="",
        help="why; required when the change undoes an approval of the old figure",
    )
    by_option(fix)
    fix.set_defaults(func=cmd_cr_set)
    overview = cr.add_parser(
        "report", parents=[common], help="open CRs per stage, overdue ones, and how CRs ended"
    )
    overview.add_argument("--account")
    overview.set_defaults(func=cmd_cr_report)
    proof = cr.add_parser(
        "evidence", parents=[common], help="export the messages and checks behind each decision"
    )
    proof.add_argument("cr_id", metavar="CR-ID")
    proof.add_argument("--out", required=True, help="a new folder to write the evidence to")
    proof.add_argument("--zip", action="store_true", help="also pack the folder into DIR.zip")
    proof.set_defaults(func=cmd_cr_evidence)
    from mailflow.cli.cr_files import register as register_files

    register_files(cr, common)
    for name, effect, text in (
        ("cancel", "end", "cancel a CR (needs --reason)"),
        ("hold", "hold", "put a CR on hold"),
        ("resume", "resume", "resume a CR on hold"),
    ):
        action = cr.add_parser(name, parents=[common], help=text)
        action.add_argument("cr_id", metavar="CR-ID")
        action.add_argument("--reason", default="")
        by_option(action)
        action.set_defaults(func=cmd_cr_command, effect=effect)


def by_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--by",
        default=os.environ.get("MAILFLOW_USER"),
        help="your e-mail address as configured (default: $MAILFLOW_USER)",
    )


def _stored(app: App) -> ReadStore | None:
    """The database for a command that only reads; None when it is not set up yet, which
    such a command answers as an empty one (and makes nothing)."""
    try:
        return app.for_reading()
    except NoSchemaYet:
        return None


def _app(args: argparse.Namespace, reading: bool = False) -> App:
    """The app; for a command that only reads, its configuration checked as it is read."""
    from mailflow.app import build_app

    return build_app(args.config, as_used=reading)


def cmd_cr_evidence(args: argparse.Namespace) -> int:
    from mailflow.views import evidence_export

    return evidence_export.cmd_cr_evidence(args)


def _now() -> datetime:
    return datetime.now(UTC)


def cmd_cr_new(args: argparse.Namespace) -> int:
    from mailflow.chain.intake import open_cr

    app = _app(args)
    by = _require_by(app, args)
    with app.db.transaction() as session:
        cr = open_cr(
            app,
            session,
            account=args.account,
            title=args.title,
            description=args.description,
            opened_by=by,
            now=_now(),
        )
    print(f"{cr.id} opened: {cr.title} — now at {app.workflow.title_of(cr.stage)}")
    return 0


def cmd_cr_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from mailflow.store.read_tables import change_request
    from mailflow.views import csm as csm_view

    app = _app(args, reading=True)
    cr = change_request.c
    query = select(change_request).order_by(cr.id)
    if not args.all:
        query = query.where(cr.stage.not_in(list(app.workflow.ends)))
    if args.account:
        query = query.where(cr.account == csm_view.account_key(app, args.account))
    if args.stage:
        query = query.where(cr.stage == csm_view.stage_key(app, args.stage))
    if args.csm:
        csm = csm_view.person(app, args.csm)
        accounts = {
            a
            for role in app.workflow.thread_owners
            for a in app.directory.accounts_where(csm, role)
        }
        query = query.where(cr.account.in_(sorted(accounts)))
    rows: list[StoredCR] = []
    store = _stored(app)
    if store is not None:
        with store.connect() as conn:
            rows = cast("list[StoredCR]", conn.execute(query).all())
    print(csm_view.waiting_table(app, rows, _now()))
    return 0


def cmd_cr_show(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from mailflow.store.read_tables import change_request
    from mailflow.views import progress, report

    app = _app(args, reading=True)
    store = _stored(app)
    if store is None:
        raise NotFound(f"no change request {args.cr_id}")
    with store.connect() as conn:
        found = conn.execute(
            select(change_request).where(change_request.c.id == args.cr_id.upper())
        ).first()
        if found is None:
            raise NotFound(f"no change request {args.cr_id}")
        cr = cast("StoredCR", found)
        print(report.cr_detail(app, conn, cr))
    wait = progress.waiting(app, cr, _now())
    if wait.roles:
        late = "  OVERDUE" if wait.overdue else ""
        print(f"\nWaiting on: {wait.who} since {wait.since:%Y-%m-%d %H:%M} UTC{late}")
    return 0


def cmd_cr_command(args: argparse.Namespace) -> int:
    from mailflow.chain.effects import carry_out
    from mailflow.store.cr_state import state_of
    from mailflow.store.cr_tables import ChangeRequest
    from mailflow.workflow import engine

    app = _app(args)
    by = _require_by(app, args)
    command = next((c for c in app.workflow.commands if c.effect == args.effect), None)
    if command is None:
        raise MailflowError(f"the workflow has no command with effect {args.effect!r}")
    with app.db.transaction() as session:
        cr = session.get(ChangeRequest, args.cr_id.upper())
        if cr is None:
            raise NotFound(f"no change request {args.cr_id}")
        account = app.settings.account(cr.account)
        said = engine.Said(command.verb, args.reason)
        actor = engine.Actor(by, app.directory.roles_of(by, cr.account, cr.assignee))
        result = engine.apply(
            app.workflow, state_of(cr, account.currency if account else ""), actor, said, _now()
        )
        if not result.applied:
            raise MailflowError(f"{cr.id}: can't {command.verb}: {result.detail}")
        carry_out(app, session, cr, result, now=_now(), actor=by, said=said)
    print(
        f"{cr.id}: {command.verb} recorded — now {app.workflow.title_of(cr.stage)}"
        + (" (on hold)" if cr.held else "")
    )
    return 0


def cmd_cr_set(args: argparse.Namespace) -> int:
    from mailflow.chain.corrections import correct
    from mailflow.store.cr_tables import ChangeRequest

    app = _app(args)
    by = _require_by(app, args)
    values = {}
    for item in args.values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise MailflowError(f"{item!r}: write FIELD=VALUE, e.g. Cost='USD 9,000'")
        values[name.strip()] = value
    with app.db.transaction() as session:
        cr = session.get(ChangeRequest, args.cr_id.upper())
        if cr is None:
            raise NotFound(f"no change request {args.cr_id}")
        outcome = correct(app, session, cr, values, by, _now(), args.reason)
    for change in outcome.changes:
        print(f"{cr.id}: {change.field.label} corrected: {change.old_shown} → {change.new_shown}")
    if outcome.undone:
        print(
            f"{cr.id}: no longer approved: {', '.join(outcome.undone)} "
            f"(those approvers were told); now at {app.workflow.title_of(outcome.stage)}"
        )
    return 0


def cmd_cr_report(args: argparse.Namespace) -> int:
    from mailflow.views.overview import overview

    app = _app(args, reading=True)
    store = _stored(app)
    if store is None:
        print("no change requests")
        return 0
    with store.connect() as conn:
        print(overview(app, conn, _now(), args.account))
    return 0


def _require_by(app: App, args: argparse.Namespace) -> str:
    if not args.by:
        raise MailflowError("say who you are: --by you@example.com (or set MAILFLOW_USER)")
    if app.settings.person(args.by) is None:
        raise NotFound(f"{args.by} is not in the configuration's [[people]]")
    return str(args.by).lower()
