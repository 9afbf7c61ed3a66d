"""SIGHUP: read the configuration again and adopt it only when it checks out.

People, accounts, the workflow and templates take effect for the next message; the
message in hand finishes under the configuration it started with, because the daemon
reloads only between passes. A file with any problem changes nothing: the problems are
logged and the running configuration stays. The database, the mailbox and the SMTP route
are bound to open connections, so a change there is logged and waits for a restart.
"""

from __future__ import annotations

import dataclasses
import logging

from mailflow.app import App, app_from_settings
from mailflow.config.settings import load_settings
from mailflow.errors import ConfigError

log = logging.getLogger(__name__)

# Settings held by open connections and threads: adopted only at the next start.
AT_RESTART = (
    "database_url",
    "data_dir",
    "source_kind",
    "maildir_root",
    "imap",
    "sink_kind",
    "smtp",
    "metrics",
    "canary",
    "web",
)


def reload_config(app: App) -> bool:
    """Swap in the re-read configuration; False (and the old one kept) when it is invalid."""
    path = app.settings.path
    try:
        settings = load_settings(path)
        waiting = [k for k in AT_RESTART if getattr(settings, k) != getattr(app.settings, k)]
        settings = dataclasses.replace(
            settings, **{k: getattr(app.settings, k) for k in AT_RESTART}
        )
        fresh = app_from_settings(settings)
    except ConfigError as exc:
        log.error("reload refused; the running configuration stays: %s", "; ".join(exc.problems))
        return False
    except Exception as exc:  # noqa: BLE001 - a bad file must not stop the service
        log.error("reload refused; the running configuration stays: %s", exc)
        return False
    app.settings, app.workflow = fresh.settings, fresh.workflow
    app.composer, app.directory = fresh.composer, fresh.directory
    log.info(
        "configuration reloaded from %s: %d people, %d accounts, workflow %r",
        path,
        len(fresh.settings.people),
        len(fresh.settings.accounts),
        fresh.workflow.name,
    )
    if waiting:
        log.warning("changed settings that take effect at the next restart: %s", ", ".join(waiting))
    return True
