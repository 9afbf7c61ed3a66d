"""A command loads only what it uses: the commands that read the database run in a fresh
interpreter, and none of them may have loaded the reader, babel, jinja2, css-inline,
Alembic, the web stack, the handling chain or the security modules that prove a reply.

Each library here costs a command its import time at every start (issue 21); what was
imported is read from the interpreter's own sys.modules once the command has answered.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mailflow.cli.main import main
from mailflow.workflow.definition import load_workflow
from tests.helpers import EXAMPLE_CONFIG, ROOT

# What none of these commands uses, by the name a person knows it by.
UNUSED = {
    "the reader": ("mailflow.reading",),
    "babel": ("babel",),
    "jinja2": ("jinja2",),
    "css-inline": ("css_inline",),
    "Alembic": ("alembic",),
    "the web stack": ("mailflow.web", "starlette", "uvicorn", "multipart"),
    "the handling chain": ("mailflow.chain",),
    "the mail parser": ("mailparser",),
    "the security modules": ("mailflow.security", "authres"),
    "the PostgreSQL dialect (on SQLite)": ("sqlalchemy.dialects.postgresql", "psycopg"),
    "the tables only replies write": ("mailflow.store.reply_tables", "mailflow.store.tables"),
    "the tables of mail in and out": ("mailflow.store.message_tables",),
    # they read with SQLAlchemy Core (store/read_tables.py)
    "the ORM": ("sqlalchemy.orm", "sqlmodel", "mailflow.store.session"),
    "the table classes": ("mailflow.store.row", "mailflow.store.cr_tables"),
    "the service's own tables": (
        "mailflow.store.heartbeat",
        "mailflow.store.lease",
        "mailflow.store.guard_tables",
        "mailflow.store.ops_tables",
    ),
}
# What they may load of the security package: the log formatter's token mask (every
# command logs) and who a view is for (every view of a CR is shown to someone).
EVERY_COMMAND_USES = {"mailflow.security.token_shape", "mailflow.security.audience"}
# `status` reports the mail held back by the sending limits.
COMMANDS = {
    "status": ({"mailflow.security.held_back"}, ("status",)),
    "cr show": (set(), ("cr", "show", "{cr}")),
    "cr list --stage": (set(), ("cr", "list", "--stage", "{stage}")),
    "cr report": (set(), ("cr", "report")),
}
# The configuration's tables each command reads, by the models that check them: each
# model is built on its first use, and what a command never reads costs it nothing.
# Every command shows people and accounts by name; a waiting CR is timed by the schedule
# ([schedule]); `status` judges the watcher ([daemon]), the canary and the places mail is
# kept in ([source], [sink]).
NAMES = {"MainTable", "DatabaseTable", "PersonTable", "AccountTable"}
BUILT = {
    "status": NAMES | {"SourceTable", "SinkTable", "DaemonTable", "CanarySettings"},
    "cr show": NAMES | {"ScheduleTable"},
    "cr list --stage": NAMES | {"ScheduleTable"},
    "cr report": NAMES,  # overdue by the due times stored with each CR
}

PROBE = """
import json, sys
from mailflow.cli.main import main
from mailflow.workflow.definition import load_workflow
answer = main(sys.argv[2:])
built = sorted(
    name
    for module in list(sys.modules)
    if module.startswith("mailflow.config.")
    for name, value in vars(sys.modules[module]).items()
    if isinstance(value, type)
    and value.__module__ == module
    and getattr(value, "__pydantic_complete__", False)
)
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"answer": answer, "modules": sorted(sys.modules), "built": built}, out)
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example configuration with one CR in its database, opened as a CSM would."""
    folder = tmp_path_factory.mktemp("imports")
    text = EXAMPLE_CONFIG.read_text().replace(
        'data_dir = "mailflow-data"', f'data_dir = "{folder / "data"}"'
    )
    path = folder / "mailflow.toml"
    path.write_text(text)
    opened = ["cr", "new", "--account", "acme", "--title", "New VPN", "--by", "priya@ft.example"]
    assert main([*opened, "--config", str(path)]) == 0
    return path


def loaded_by(config: Path, tmp_path: Path, argv: tuple[str, ...]) -> list[str]:
    """The modules a fresh interpreter holds after running the command."""
    return list(ran(config, tmp_path, argv)["modules"])


def ran(config: Path, tmp_path: Path, argv: tuple[str, ...]) -> dict[str, Any]:
    """What a fresh interpreter holds after running the command: its modules, and the
    configuration's models it built."""
    report = tmp_path / "modules.json"
    cr = f"CR-{datetime.now(UTC).year}-0001"
    stage = load_workflow().stages[1].name  # the stage a new CR waits in
    args = [a.format(cr=cr, stage=stage) for a in argv]
    run = [sys.executable, "-c", PROBE, str(report), *args, "--config", str(config)]
    done = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(report.read_text(encoding="utf-8"))
    # `status` answers 1 where no service has run yet: still a whole answer
    assert seen["answer"] in (0, 1), done.stderr
    return dict(seen)


def unused_loaded(modules: list[str], uses: set[str]) -> dict[str, list[str]]:
    """Per library the command does not use, the modules of it that were loaded."""
    found: dict[str, list[str]] = {}
    for what, prefixes in UNUSED.items():
        hits = [
            m
            for m in modules
            if any(m == p or m.startswith(p + ".") for p in prefixes)
            and m not in uses | EVERY_COMMAND_USES
            and m != "mailflow.security"  # the package itself: a docstring
        ]
        if hits:
            found[what] = hits
    return found


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_reading_command_loads_only_what_it_uses(
    command: str, config: Path, tmp_path: Path
) -> None:
    uses, argv = COMMANDS[command]
    modules = loaded_by(config, tmp_path, argv)
    assert "mailflow.store.read_store" in modules, "the command did not open the database"
    assert unused_loaded(modules, uses) == {}, f"`mailflow {command}` loaded what it never uses"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_reading_command_builds_only_the_tables_it_reads(
    command: str, config: Path, tmp_path: Path
) -> None:
    built = set(ran(config, tmp_path, COMMANDS[command][1])["built"])
    assert built == BUILT[command], f"`mailflow {command}` checked other tables than it reads"


def test_the_check_sees_a_library_loaded_for_nothing() -> None:
    """The rule itself: jinja2 or a security module loaded by a reading command is found."""
    modules = ["mailflow.store.read_store", "jinja2.environment", "mailflow.security.tokens"]
    assert unused_loaded(modules, set()) == {
        "jinja2": ["jinja2.environment"],
        "the security modules": ["mailflow.security.tokens"],
    }
    assert unused_loaded(["mailflow.security.ratelimit"], {"mailflow.security.ratelimit"}) == {}
