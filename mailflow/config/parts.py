"""The settings, part by part: which tables each part is made from, and how.

`mailflow check` and `run` check every table and make every part at once; a command
that only reads CRs checks and makes a part when it first reads one of its settings
(mailflow.config.settings), so the pydantic models of the tables it never reads are
never built (each is built on its first validation, not at import).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from mailflow.config.places import data_dir_of, database_url_of, file_of, maildir_root_of

Tables = Mapping[str, Any]


class Part(NamedTuple):
    tables: tuple[str, ...]
    names: tuple[str, ...]
    make: Callable[[Tables, Path], dict[str, Any]]


def _main(t: Tables, base: Path) -> dict[str, Any]:
    main = t["mailflow"]
    return {
        "data_dir": data_dir_of(main, base),
        "shared_inbox": main.shared_inbox,
        "from_name": main.from_name,
        "message_id_domain": main.message_id_domain or main.shared_inbox.partition("@")[2],
        "workflow_path": file_of(main.workflow, base),
        "templates_dir": file_of(main.templates, base),
        "internal_domains": tuple(main.internal_domains),
    }


def _database(t: Tables, base: Path) -> dict[str, Any]:
    return {
        "database_url": database_url_of(t["mailflow"], t["database"], base),
        "upgrade_on_start": t["database"].upgrade_on_start,
    }


def _source(t: Tables, base: Path) -> dict[str, Any]:
    source = t["source"]
    return {
        "source_kind": source.kind,
        "maildir_root": maildir_root_of(t["mailflow"], source, base),
        "imap": source.imap.settings() if source.kind == "imap" and source.imap else None,
    }


def _sink(t: Tables, base: Path) -> dict[str, Any]:
    sink = t["sink"]
    return {
        "sink_kind": sink.kind,
        "smtp": sink.smtp.settings() if sink.kind == "smtp" and sink.smtp else None,
    }


def _daemon(t: Tables, base: Path) -> dict[str, Any]:
    daemon = t["daemon"]
    return {
        "poll_seconds": daemon.poll_seconds,
        "reminder_check_minutes": daemon.reminder_check_minutes,
        "escalate_after": daemon.escalate_after,
        "unhealthy_after_seconds": daemon.unhealthy_after_seconds,
        "quarantine_after_attempts": daemon.quarantine_after_attempts,
        "lease_seconds": daemon.lease_seconds,
        "daemon_name": daemon.name,
    }


def _intake(t: Tables, base: Path) -> dict[str, Any]:
    intake = t["intake"]
    return {
        "jira_senders": tuple(intake.jira_senders),
        "jira_decisions": intake.jira_decisions,
    }


def _one(table: str, name: str, make: Callable[[Any], Any]) -> Part:
    """A part that is one table's one setting."""
    return Part((table,), (name,), lambda t, base: {name: make(t[table])})


def _as_is(value: Any) -> Any:
    return value


PARTS = (
    Part(
        ("mailflow",),
        (
            "data_dir",
            "shared_inbox",
            "from_name",
            "message_id_domain",
            "workflow_path",
            "templates_dir",
            "internal_domains",
        ),
        _main,
    ),  # fmt: skip
    Part(("mailflow", "database"), ("database_url", "upgrade_on_start"), _database),
    Part(("mailflow", "source"), ("source_kind", "maildir_root", "imap"), _source),
    Part(("sink",), ("sink_kind", "smtp"), _sink),
    Part(
        ("daemon",),
        (
            "poll_seconds",
            "reminder_check_minutes",
            "escalate_after",
            "unhealthy_after_seconds",
            "quarantine_after_attempts",
            "lease_seconds",
            "daemon_name",
        ),
        _daemon,
    ),  # fmt: skip
    Part(("intake",), ("jira_senders", "jira_decisions"), _intake),
    _one("people", "people", lambda people: tuple(p.settings() for p in people)),
    _one("accounts", "accounts", lambda accounts: tuple(a.settings() for a in accounts)),
    _one("security", "security", lambda security: security.settings()),
    _one("schedule", "schedule", lambda schedule: schedule.settings()),
    _one("documents", "max_attach_bytes", lambda documents: documents.max_attach_bytes),
    _one("limits", "limits", _as_is),
    _one("web", "web", _as_is),
    _one("metrics", "metrics", _as_is),
    _one("canary", "canary", _as_is),
)
"""Every setting but the file's path, each made by one part."""

PART_OF = {name: part for part in PARTS for name in part.names}


def made(parts: tuple[Part, ...] | list[Part], tables: Tables, base: Path) -> dict[str, Any]:
    """The settings these parts make from checked tables."""
    return {name: value for part in parts for name, value in part.make(tables, base).items()}
