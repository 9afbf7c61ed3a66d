"""What the configuration means, beyond each table's shape: checked by `check` and before `run`.

A folder must exist or be creatable, and be writable (a data folder under /proc or a
Maildir path that is a file fails here, not with a traceback later); the database URL
must name a driver that is installed; the shared inbox must not be a person's address,
or mailflow would take its own mail for that person's; each role that acts at a step of
the workflow must be held by somebody. Each rule runs when the tables it reads are right,
whatever is wrong elsewhere.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from mailflow.config.known import Known
from mailflow.config.places import Places

DRIVERS = {"sqlite": "sqlite3", "postgresql+psycopg": "psycopg"}

Problem = tuple[str, str]
Tables = dict[str, Any]


def _places(tables: Tables, known: Known) -> Places:
    return Places.of(tables["mailflow"], tables["database"], tables["source"], known.base)


def _files_exist(tables: Tables, known: Known) -> Iterator[Problem]:
    places = _places(tables, known)
    for key, path in (("workflow", places.workflow), ("templates", places.templates)):
        if path is not None and not path.exists():
            yield f"mailflow.{key}", f"is {path}, which does not exist"


def _folders_writable(tables: Tables, known: Known) -> Iterator[Problem]:
    places = _places(tables, known)
    url = places.database_url
    if url.startswith("sqlite:///"):
        problem = writable(Path(url.removeprefix("sqlite:///")).parent)
        if problem:
            yield "database.url", f"names a folder that {problem}"
    folders = {"mailflow.data_dir": places.data_dir, "source.maildir.path": places.maildir_root}
    for key, folder in folders.items():
        problem = writable(folder)
        if problem:
            yield key, problem


def _driver_installed(tables: Tables, known: Known) -> Iterator[Problem]:
    scheme = _places(tables, known).database_url.split("://", 1)[0]
    if scheme not in DRIVERS:
        yield "database.url", f"uses {scheme!r}; expected sqlite:/// or postgresql+psycopg://"
    elif importlib.util.find_spec(DRIVERS[scheme]) is None:
        yield "database.url", f"needs the {DRIVERS[scheme]} package, not installed"


def _inbox_is_nobody(tables: Tables, known: Known) -> Iterator[Problem]:
    inbox = tables["mailflow"].shared_inbox
    message = f"is the shared inbox {inbox}; mailflow would take its own mail for this person's"
    for i, person in enumerate(tables["people"]):
        if person.email == inbox:
            yield f"people[{i}].email", message


def _acting_roles_held(tables: Tables, known: Known) -> Iterator[Problem]:
    workflow = known.workflow
    if workflow is None:
        return
    held = {role for person in tables["people"] for role in person.roles}
    for role in sorted({actor for stage in workflow.stages for actor in stage.actors}):
        if role in workflow.roles and role not in held:
            yield (
                "people",
                (
                    f"has nobody with the role {role!r}, which acts at a stage of the workflow "
                    f"{workflow.name!r}; mail for that stage would go nowhere"
                ),
            )


class Rule(NamedTuple):
    needs: tuple[str, ...]
    check: Callable[[Tables, Known], Iterator[Problem]]


RULES = (
    Rule(("mailflow", "database", "source"), _files_exist),
    Rule(("mailflow", "database", "source"), _folders_writable),
    Rule(("mailflow", "database", "source"), _driver_installed),
    Rule(("mailflow", "people"), _inbox_is_nobody),
    Rule(("people",), _acting_roles_held),
)


def meaning(tables: Tables, known: Known) -> list[Problem]:
    """The problems of the rules whose tables are right (the others are reported already)."""
    return [
        problem
        for rule in RULES
        if all(name in tables for name in rule.needs)
        for problem in rule.check(tables, known)
    ]


def writable(folder: Path) -> str:
    """'' when the folder exists and a file can be written in it, or when it can be made.

    Nothing is created: `check` and `explain` must leave the disk as they found it, so a
    missing folder is judged by its nearest existing parent.
    """
    if folder.exists():
        if not folder.is_dir():
            return f"is {folder}, which is a file, not a folder"
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".mailflow-check-"):
                pass
        except OSError as exc:
            return f"is {folder}, which cannot be written: {exc.strerror or exc}"
        return ""
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"is {folder}, which cannot be made: {parent} is a file, not a folder"
    try:  # a trial folder, removed at once: os.access says yes to root even under /proc
        os.rmdir(tempfile.mkdtemp(dir=parent, prefix=".mailflow-check-"))
    except OSError as exc:
        return f"is {folder}, which cannot be made in {parent}: {exc.strerror or exc}"
    return ""
