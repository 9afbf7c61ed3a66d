"""What the configuration means, beyond its shape: checked by `check` and before `run`.

A folder must exist or be creatable, and be writable (a data folder under /proc or a
Maildir path that is a file fails here, not with a traceback later); the database URL
must name a driver that is installed; the shared inbox must not be a person's address,
or mailflow would take its own mail for that person's.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DRIVERS = {"sqlite": "sqlite3", "postgresql+psycopg": "psycopg"}


def merge(first: list[str], more: list[str]) -> list[str]:
    """`first` and those of `more` about keys `first` has not already named."""
    named = {_key(line) for line in first}
    return first + [line for line in more if _key(line) not in named]


def _key(line: str) -> str:
    return line.split(": ", 1)[-1].split(" ", 1)[0].rstrip(":")


def meaning(
    data_dir: Path,
    maildir_root: Path,
    url: str,
    shared_inbox: str,
    people: Sequence[Any],
    where: str,
    existing: dict[str, Path | None] | None = None,
) -> list[str]:
    """Problems a well-formed file can still have; each names its key.

    `existing` names paths that must already be there (a workflow file, a templates folder).
    """
    out = []
    for key, path in (existing or {}).items():
        if path is not None and not path.exists():
            out.append(f"{where}: {key} is {path}, which does not exist")
    if url.startswith("sqlite:///"):
        problem = writable(Path(url.removeprefix("sqlite:///")).parent)
        if problem:
            out.append(f"{where}: database.url names a folder that {problem}")
    out += [f"{where}: mailflow.data_dir {p}" for p in [writable(data_dir)] if p]
    out += [f"{where}: source.maildir.path {p}" for p in [writable(maildir_root)] if p]
    scheme = url.split("://", 1)[0]
    if scheme not in DRIVERS:
        out.append(
            f"{where}: database.url uses {scheme!r}; expected sqlite:/// or postgresql+psycopg://"
        )
    elif importlib.util.find_spec(DRIVERS[scheme]) is None:
        out.append(f"{where}: database.url needs the {DRIVERS[scheme]} package, not installed")
    for i, person in enumerate(people):
        if person.email == shared_inbox:
            out.append(
                f"{where}: people[{i}].email is the shared inbox {shared_inbox}; "
                "mailflow would take its own mail for this person's"
            )
    return out


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


def role_problems(settings: Any, workflow: Any) -> list[str]:
    """Each role that acts at some stage has a person; [security.roles] names real roles."""
    where = str(settings.path) if settings.path else "<config>"
    held = {role for person in settings.people for role in person.roles}
    out = []
    acting = sorted({actor for stage in workflow.stages for actor in stage.actors})
    for role in acting:
        if role in workflow.roles and role not in held:
            out.append(
                f"{where}: people has nobody with the role {role!r}, which acts at a stage "
                f"of the workflow {workflow.name!r}; mail for that stage would go nowhere"
            )
    for role in settings.security.role_policies:
        if role not in workflow.roles:
            out.append(
                f"{where}: security.roles.{role} is not a role of the workflow "
                f"(it has: {', '.join(sorted(workflow.roles))})"
            )
    return out
