"""The table of commands a person types: each names its options and the function that
runs it as "module:function", imported only when that command runs.

The commands whose options live with their code (`cr`, `web`, `remind`) are named here
with their help line and the function that adds their options, so that the parser can
list every command while building only the one that is run (mailflow.cli.main).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Elsewhere:
    """A first-level command whose own module adds its options or actions
    ("module:function", given the command's parser and the common options)."""

    name: str
    help: str
    build: str
    actions: bool = False  # a group of actions (`cr show`), not a command of its own


FIRST_LEVEL: tuple[Command | Elsewhere, ...] = (
    COMMANDS[0],
    Elsewhere(
        "web",
        "serve the read-only CR status page (sign-in by mailed link)",
        "mailflow.cli.web:build",
    ),
    *COMMANDS[1:],
    Elsewhere("workflow", "the workflow definition", "mailflow.cli.main:build_workflow", True),
    Elsewhere("cr", "inspect and act on change requests", "mailflow.cli.cr:build", True),
    Elsewhere(
        "quarantine",
        "messages that could not be handled",
        "mailflow.cli.ops:build_quarantine",
        True,
    ),
    Elsewhere("db", "the database schema", "mailflow.cli.ops:build_db", True),
    Elsewhere(
        "remind",
        "send the reminders and escalations that are due",
        "mailflow.cli.remind:build_remind",
    ),
    Elsewhere(
        "digest",
        "send the weekly digests now (each person gets one a week at most)",
        "mailflow.cli.remind:build_digest",
    ),
    *TRYING,
)
