"""Where things are: the folders, files and database a configuration names.

Every relative path is relative to the configuration file's folder; what is not written
lives under the data folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mailflow.config.schema import DatabaseTable, MainTable, SourceTable


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
        data_dir = (base / main.data_dir).resolve()
        url = os.environ[database.url_env] if database.url_env else database.url
        url = url or f"sqlite:///{data_dir / 'mailflow.db'}"
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return cls(
            data_dir=data_dir,
            database_url=url,
            maildir_root=base / (source.maildir.path or data_dir / "mail"),
            workflow=base / main.workflow if main.workflow else None,
            templates=base / main.templates if main.templates else None,
        )
