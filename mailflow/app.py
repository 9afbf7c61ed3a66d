"""One object holding what every command needs: settings, workflow, store, templates, people."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from mailflow.config.directory import Directory
from mailflow.config.settings import Settings, load_settings
from mailflow.mail.compose import Composer
from mailflow.store.session import Database
from mailflow.workflow.definition import Workflow, load_workflow
from mailflow.workflow.vocabulary import Vocabulary


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
                on_old = "upgrade" if self.settings.upgrade_on_start else "refuse"
                self._db = Database(self.settings.database_url, on_old)
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
    workflow = replace(workflow, vocabulary=with_names(workflow.vocabulary, settings))
    return App(settings, workflow, composer, Directory(settings, workflow.roles))


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
