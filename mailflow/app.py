"""One object holding what every command needs: settings, workflow, store, templates, people.

What only some commands use is made on first use: the database layer (`check` and
`workflow show` need none) and the composer, whose jinja2 and css-inline only the commands
that send mail need.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailflow.collector import settled
from mailflow.config.directory import Directory
from mailflow.config.settings import Settings, load_settings
from mailflow.mail.template_files import template_folders, template_found
from mailflow.workflow.definition import Workflow, load_workflow
from mailflow.workflow.vocabulary import Vocabulary

if TYPE_CHECKING:
    from mailflow.mail.compose import Composer
    from mailflow.store.outbox import Ahead
    from mailflow.store.read_store import ReadStore
    from mailflow.store.session import Database


@dataclass
class App:
    settings: Settings
    workflow: Workflow
    directory: Directory
    _composer: Composer | None = None
    _db: Database | None = None
    _read: ReadStore | None = None
    # Set by the daemon during a backlog: composes a mail's bytes in its helper process,
    # from Composer.build's arguments (mailflow.service.helper_process).
    compose_ahead: Callable[[Mapping[str, Any]], Ahead[bytes]] | None = None

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def db(self) -> Database:
        """Opened on first use, so that `check` and `workflow show` need no database."""
        with self._lock:
            if self._db is None:
                from mailflow.store.session import Database

                on_old = "upgrade" if self.settings.upgrade_on_start else "refuse"
                self._db = Database(self.settings.database_url, on_old)
                settled()
            return self._db

    def for_reading(self) -> ReadStore:
        """The store for a command that only reads, without the ORM (store/read_store.py).

        A database mailflow never set up raises NoSchemaYet, and nothing is created. An
        older schema is refused as `db` refuses it, or upgraded first where the settings
        say so ([database] upgrade_on_start), as `db` would.
        """
        from mailflow.errors import SchemaOutdated
        from mailflow.store.read_store import ReadStore

        with self._lock:
            if self._read is not None:
                return self._read
        try:
            store = ReadStore(self.settings.database_url)
        except SchemaOutdated:
            if not self.settings.upgrade_on_start:
                raise
            _ = self.db  # upgrades it, after a copy of a SQLite file is saved
            store = ReadStore(self.settings.database_url)
        settled()
        with self._lock:
            self._read = store
        return store

    @property
    def composer(self) -> Composer:
        """Made on first use, for the settings the app holds then."""
        with self._lock:
            if self._composer is None:
                self._composer = composer_for(self.settings)
            return self._composer

    @composer.setter
    def composer(self, composer: Composer) -> None:
        with self._lock:
            self._composer = composer

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
        if self._read is not None:
            self._read.dispose()


def build_app(config: str | Path | None, as_used: bool = False) -> App:
    """Load and cross-check configuration, workflow and templates, reporting every problem;
    `as_used`, for a command that only reads: each table checked when first read."""
    settings = load_settings(config, as_used)
    return app_from_settings(settings)


def app_from_settings(settings: Settings) -> App:
    folders = template_folders(settings.templates_dir)
    workflow = load_workflow(settings.workflow_path, lambda name: template_found(folders, name))
    workflow = replace(workflow, vocabulary=with_names(workflow.vocabulary, settings))
    return App(settings, workflow, Directory(settings, workflow.roles))


def composer_for(settings: Settings) -> Composer:
    from mailflow.mail.compose import Composer

    return Composer(
        settings.shared_inbox,
        settings.from_name,
        settings.message_id_domain,
        settings.templates_dir,
    )


def with_names(vocabulary: Vocabulary, settings: Settings) -> Vocabulary:
    """People's and accounts' names may stand beside a decision ("Approved, Priya", a
    signature's "Acme Retail"), but a name that is also a word of the grammar ("Will",
    "Best") is never taken for a name."""
    taken = {
        word
        for phrase in (
            *vocabulary.negations,
            *vocabulary.requests,
            *(p for v in vocabulary.verbs for p in (*v.phrases, *v.likely)),
        )
        for word in phrase.lower().split()
    }
    names = {
        word
        for name in (*(p.name for p in settings.people), *(a.name for a in settings.accounts))
        for word in re.split(r"[\s.,'()-]+", name.lower())
        if word.isalpha() and word not in taken
    }
    return replace(vocabulary, names=frozenset(names))
