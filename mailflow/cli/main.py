"""Every command a person types. Domain errors become one line on stderr and an exit code.

The parser is built from tables: each command names its options and the function that
runs it as "module:function", imported only when that command runs, so `mailflow --help`
and a mistyped command answer at once (no database layer, templates or transports).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mailflow import __version__
from mailflow.errors import ConfigError, MailflowError

Option = tuple[tuple[str, ...], dict[str, Any]]


@dataclass(frozen=True)
class Command:
    """One command of the table: its name, help line, handler and options."""

    name: str
    help: str
    handler: str  # "module:function", imported when the command runs
    options: tuple[Option, ...] = ()


def flag(name: str, text: str) -> Option:
    return ((name,), {"action": "store_true", "help": text})


COMMANDS = (
    Command(
        "run",
        "run the mail processor (the daemon)",
        "mailflow.cli.service:cmd_run",
        (flag("--once", "process what is waiting, then exit"),),
    ),
    Command(
        "check",
        "validate the configuration and its workflow; list every problem",
        "mailflow.cli.service:cmd_check",
        (
            (
                ("--for-unit",),
                {
                    "metavar": "UNIT",
                    "help": "also check that this systemd unit's sandbox lets the service "
                    "write its data folder, mailboxes and database",
                },
            ),
        ),
    ),
    Command(
        "explain",
        "show how mailflow reads saved messages (nothing sent; the database is only read)",
        "mailflow.cli.main:cmd_explain",
        (
            (("messages",), {"nargs": "+", "metavar": "MESSAGE.eml", "help": "raw mail files"}),
            flag("--json", "one JSON object per line"),
            flag(
                "--rules",
                "print the handling rules and which one each message would hit "
                "(reads the database, records nothing)",
            ),
        ),
    ),
    Command(
        "status",
        "message counts and outbox state (creates nothing)",
        "mailflow.cli.service:cmd_status",
    ),
)

WORKFLOW = (
    Command(
        "show",
        "print stages and transitions",
        "mailflow.cli.main:cmd_workflow_show",
        (flag("--mermaid", "print a Mermaid state diagram"),),
    ),
    Command(
        "words",
        "the words replies are read with: phrases and lists",
        "mailflow.cli.main:cmd_workflow_words",
    ),
)

TRYING = (
    Command(
        "reply",
        "write into the inbox the reply a person's mail client would send to their latest "
        "mail on a CR (for trying mailflow by hand)",
        "mailflow.cli.reply:cmd_reply",
        (
            (("cr_id",), {"metavar": "CR-ID"}),
            (
                ("text",),
                {
                    "nargs": "+",
                    "metavar": "LINE",
                    "help": 'what they write, one argument a line: "DONE" "Cost: USD 9,600"',
                },
            ),
            (("--as",), {"dest": "sender", "required": True, "metavar": "ADDRESS"}),
            flag("--i-know", "also write into a real mailbox (not only the embedded Maildir)"),
        ),
    ),
    Command(
        "demo",
        "play a whole CR lifecycle by mail through the real daemon loop",
        "mailflow.cli.demo:cmd_demo",
        (
            (
                ("--data-dir",),
                {
                    "help": "where the demo keeps its database and Maildirs "
                    "(default: a new temporary folder)"
                },
            ),
            flag("--quiet", "print only the final timeline"),
        ),
    ),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from mailflow.service import logs

    logs.setup(args.log_format, args.verbose)
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
    except ModuleNotFoundError as exc:
        if not exc.name or exc.name.partition(".")[0] == "mailflow":
            raise
        from mailflow.cli.packages import REINSTALL

        print(f"mailflow: the {exc.name} package is not installed; {REINSTALL}", file=sys.stderr)
        return 2
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


def _global_options(parser: argparse.ArgumentParser, after_command: bool) -> None:
    """--config, --verbose and --log-format, before the command or after it.

    After the command they default to "not given", so that a value given before the
    command is not overwritten by the subcommand's own default.
    """
    unset = after_command
    parser.add_argument(
        "--config",
        "-c",
        default=argparse.SUPPRESS if unset else None,
        help="configuration file (default: $MAILFLOW_CONFIG, "
        "./mailflow.toml, ./config.toml, ./config.example.toml)",
    )
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        default=argparse.SUPPRESS if unset else False,
        help="log debug detail",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=argparse.SUPPRESS if unset else "text",
        help="log lines for people (text) or one JSON object per line (json)",
    )


def _handler(target: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        module, _, name = target.partition(":")
        function: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(module), name
        )
        return function(args)

    return run


def _add(sub: Any, common: argparse.ArgumentParser, commands: Sequence[Command]) -> None:
    for command in commands:
        parser = sub.add_parser(command.name, parents=[common], help=command.help)
        for names, options in command.options:
            parser.add_argument(*names, **options)
        parser.set_defaults(func=_handler(command.handler))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mailflow", description="Change-request approvals over email.")
    p.add_argument("--version", action="version", version=f"mailflow {__version__}")
    _global_options(p, after_command=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, after_command=True)
    sub = p.add_subparsers(title="commands", metavar="COMMAND")
    from mailflow.cli import cr, ops, remind, web

    _add(sub, common, COMMANDS[:1])
    web.register(sub, common)
    _add(sub, common, COMMANDS[1:])
    workflow = sub.add_parser("workflow", help="the workflow definition")
    _add(workflow.add_subparsers(metavar="ACTION"), common, WORKFLOW)
    for register in (cr.register, ops.register, ops.register_db, remind.register):
        register(sub, common)
    _add(sub, common, TRYING)
    return p


def cmd_workflow_show(args: argparse.Namespace) -> int:
    from mailflow.app import build_app
    from mailflow.views import report

    workflow = build_app(args.config).workflow
    print(report.workflow_mermaid(workflow) if args.mermaid else report.workflow_text(workflow))
    return 0


def cmd_workflow_words(args: argparse.Namespace) -> int:
    from mailflow.app import build_app
    from mailflow.views.vocabulary import words_text

    print(words_text(build_app(args.config).workflow))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from mailflow.app import build_app
    from mailflow.chain.explain import explain_files, sender_lookup

    app = build_app(args.config)  # the vocabulary, our own address, the sender's record
    if args.rules:
        from mailflow.chain.dry_run import print_rules

        return print_rules(app, args.messages, datetime.now(UTC))
    return explain_files(
        args.messages,
        app.workflow.vocabulary,
        app.settings.own_addresses(),
        as_json=args.json,
        on_record=sender_lookup(app),
    )
