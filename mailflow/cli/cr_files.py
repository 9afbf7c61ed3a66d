"""`mailflow cr files`: list a CR's stored files, and write them out to a folder.

File names come from senders' mail, so they are never trusted as paths: each is reduced to
a plain name inside the folder ("../../etc/passwd" is saved as "passwd"), and a target
that would still resolve outside the folder is refused. Two files with one name (two
versions of a document) are kept apart by their short hash.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING

from mailflow.errors import MailflowError, NotFound
from mailflow.store.files import write_file

if TYPE_CHECKING:
    from mailflow.chain.documents import StoredFile

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def register(cr: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    files = cr.add_parser(
        "files", parents=[common], help="list a CR's stored files; --out DIR writes them there"
    )
    files.add_argument("cr_id", metavar="CR-ID")
    files.add_argument("--out", help="a folder to write the files to (created if missing)")
    files.set_defaults(func=cmd_cr_files)


def cmd_cr_files(args: argparse.Namespace) -> int:
    from mailflow.app import build_app
    from mailflow.chain.documents import size_text, stored_files
    from mailflow.store.cr_tables import ChangeRequest

    app = build_app(args.config)
    with app.db.session() as session:
        cr = session.get(ChangeRequest, args.cr_id.upper())
        if cr is None:
            raise NotFound(f"no change request {args.cr_id}")
        files = stored_files(session, cr.id)
        titles = {f.stage: app.workflow.title_of(f.stage) for f in files}
    if not files:
        print(f"{cr.id}: no files stored")
        return 0
    out = Path(args.out) if args.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    for f in files:
        line = (
            f"{f.received:%Y-%m-%d %H:%M}  {titles[f.stage]:<22} {f.filename}  "
            f"({size_text(f.size)}, from {f.sender or 'the command line'}, sha256 {f.sha256[:12]})"
        )
        if out is not None:
            target = write(out, f, used)
            line += f"\n    saved as {target}"
        print(line)
    return 0


def safe_name(filename: str, sha256: str) -> str:
    """A plain file name with no folder in it; never empty, never hidden, never '..'."""
    name = _UNSAFE.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return name or f"file-{sha256[:12]}"


def write(folder: Path, f: StoredFile, used: set[str]) -> Path:
    """Write one file into `folder`; refuse any target outside it."""
    name = safe_name(f.filename, f.sha256)
    if name in used:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem}-{f.sha256[:8]}.{suffix}" if dot and stem else f"{name}-{f.sha256[:8]}"
    used.add(name)
    root = folder.resolve()
    target = (root / name).resolve()
    if target.parent != root:
        raise MailflowError(f"{f.filename!r} would be written outside {folder}; refused")
    write_file(target, f.data)
    return target
