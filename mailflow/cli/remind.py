"""`mailflow remind` and `mailflow digest`: what the service's sweeps would send, now.

Kept apart from the views they print so that building the parser imports no database.
"""

from __future__ import annotations

import argparse


def build_remind(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add the options of `mailflow remind` to its parser."""
    parser.add_argument(
        "--dry-run", action="store_true", help="only list what would be sent, to whom and why"
    )
    parser.set_defaults(func=cmd_remind)


def build_digest(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add the options of `mailflow digest` to its parser."""
    parser.add_argument(
        "--dry-run", action="store_true", help="only list who would get which digest"
    )
    parser.set_defaults(func=cmd_digest)


def cmd_remind(args: argparse.Namespace) -> int:
    from mailflow.app import build_app
    from mailflow.cli.cr import _now
    from mailflow.service import reminders

    app = build_app(args.config)
    now = _now()
    if args.dry_run:
        with app.db.session() as session:
            lines = reminders.preview(app, session, now)
        print("\n".join(lines) if lines else "nothing is due")
        return 0
    sent = reminders.sweep(app, now)
    print(f"{sent} reminder(s) or escalation(s) queued")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    """Send (or, with --dry-run, list) the weekly digests now, whatever the weekday."""
    from mailflow.app import build_app
    from mailflow.cli.cr import _now
    from mailflow.service import digest_mail

    app = build_app(args.config)
    if args.dry_run:
        lines = digest_mail.preview(app, _now())
        print("\n".join(lines) if lines else "nobody gets a digest")
        return 0
    print(f"{digest_mail.send(app, _now())} digest(s) queued")
    return 0
