"""One object holding what every command needs: settings, workflow, store, templates, people."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from mailflow.config import Settings, check_people_roles, load_settings
from mailflow.directory import Directory
from mailflow.errors import ConfigError
from mailflow.mail.compose import Composer
from mailflow.store.session import Database
from mailflow.workflow.definition import Workflow, load_workflow


@dataclass
class App:
    settings: Settings
    workflow: Workflow
    composer: Composer
    directory: Directory
    _db: Database | None = None

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def db(self) -> Database:
        """Opened on first use, so that `check` and `workflow show` need no database."""
        with self._lock:
            if self._db is None:
                self._db = Database(self.settings.database_url)
            return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


def build_app(config: str | Path | None) -> App:
    """Load and cross-check configuration, workflow and templates, reporting every problem."""
    settings = load_settings(config)
    return app_from_settings(settings)


def app_from_settings(settings: Settings) -> App:
    composer = Composer(
        settings.shared_inbox,
        settings.from_name,
        settings.message_id_domain,
        settings.templates_dir,
    )
    workflow = load_workflow(settings.workflow_path, composer.exists)
    problems = check_people_roles(settings, {r.name: r.scope for r in workflow.roles.values()})
    if problems:
        raise ConfigError(problems)
    return App(settings, workflow, composer, Directory(settings, workflow.roles))
