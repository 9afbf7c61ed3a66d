"""Every command a person types. Domain errors become one line on stderr and an exit code.

The parser is built from the table of commands (mailflow.cli.commands), and only the
command that is run gets its options: `mailflow --help` and a mistyped command answer at
once (no database layer, templates or transports), and a command pays for no other's.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

from mailflow import __version__
from mailflow.cli.commands import FIRST_LEVEL, WORKFLOW, Command
from mailflow.collector import quiet_start
from mailflow.errors import ConfigError, MailflowError


def main(argv: Sequence[str] | None = None) -> int:
    with quiet_start():
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    parser = _parser(_chosen(argv))
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
        _fill(sub.add_parser(command.name, parents=[common], help=command.help), command)


def _fill(parser: argparse.ArgumentParser, command: Command) -> None:
    for names, options in command.options:
        parser.add_argument(*names, **options)
    parser.set_defaults(func=_handler(command.handler))


ALL = "*"


def _parser(chosen: str | None = ALL) -> argparse.ArgumentParser:
    """The command line's parser. Only the chosen command's options are added (all of them
    for ALL): the others are there by name and help line, as `mailflow --help` and a
    mistyped command show them."""
    p = argparse.ArgumentParser(prog="mailflow", description="Change-request approvals over email.")
    p.add_argument("--version", action="version", version=f"mailflow {__version__}")
    _global_options(p, after_command=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, after_command=True)
    sub = p.add_subparsers(title="commands", metavar="COMMAND", dest="first_word")
    for command in FIRST_LEVEL:
        if chosen not in (ALL, command.name):
            sub.add_parser(command.name, help=command.help, add_help=False)
        elif isinstance(command, Command):
            _add(sub, common, (command,))
        else:
            parents = [] if command.actions else [common]
            parser = sub.add_parser(command.name, parents=parents, help=command.help)
            module, _, name = command.build.partition(":")
            getattr(importlib.import_module(module), name)(parser, common)
    return p


def _chosen(argv: Sequence[str] | None) -> str | None:
    """The command the arguments name, read by a parser that knows no command's options
    (--help and a mistyped command answer here, as the whole parser would)."""
    known, _ = _parser(None).parse_known_args(argv)
    return getattr(known, "first_word", None)


def build_workflow(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    _add(parser.add_subparsers(metavar="ACTION"), common, WORKFLOW)


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
