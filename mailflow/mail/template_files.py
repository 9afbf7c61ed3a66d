"""Where the mail templates are, and whether one is there, without loading jinja2.

Every command checks that the workflow's templates exist when it starts; only the
commands that send mail render one (mail/compose.py), so only they load jinja2.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def template_folders(extra: Path | None = None) -> list[Path]:
    """The override folder (if any), then the templates shipped with mailflow."""
    folders = [extra] if extra else []
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        folders.append(checkout)
    else:
        folders.append(Path(str(resources.files("mailflow.templates"))))
    return folders


def template_found(folders: list[Path], name: str) -> bool:
    """Whether `name`.txt is in one of the folders, found as jinja2's file loader finds it:
    a name of "/"-separated pieces, none of them "..", under one of the folders."""
    pieces = f"{name}.txt".split("/")
    if any(piece in ("", ".", "..") for piece in pieces):
        return False
    return any(folder.joinpath(*pieces).is_file() for folder in folders)
