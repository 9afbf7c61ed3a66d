"""Where things are: the folders, files and database a configuration names.

Every relative path is relative to the configuration file's folder; what is not written
lives under the data folder. Each place is worked out from the tables that name it
alone, so that a command reading only the database's address checks no other table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mailflow.config.schema import DatabaseTable, MainTable, SourceTable


def data_dir_of(main: MainTable, base: Path) -> Path:
    return (base / main.data_dir).resolve()


def database_url_of(main: MainTable, database: DatabaseTable, base: Path) -> str:
    url = os.environ[database.url_env] if database.url_env else database.url
    url = url or f"sqlite:///{data_dir_of(main, base) / 'mailflow.db'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def maildir_root_of(main: MainTable, source: SourceTable, base: Path) -> Path:
    return base / (source.maildir.path or data_dir_of(main, base) / "mail")


def file_of(named: str | None, base: Path) -> Path | None:
    return base / named if named else None


@dataclass(frozen=True)
class Places:
    data_dir: Path
    database_url: str
    maildir_root: Path
    workflow: Path | None
    templates: Path | None

    @classmethod
    def of(
        cls, main: MainTable, database: DatabaseTable, source: SourceTable, base: Path
    ) -> Places:
        return cls(
            data_dir=data_dir_of(main, base),
            database_url=database_url_of(main, database, base),
            maildir_root=maildir_root_of(main, source, base),
            workflow=file_of(main.workflow, base),
            templates=file_of(main.templates, base),
        )
