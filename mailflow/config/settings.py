"""TOML → frozen settings. Every problem names its file and key, and all are reported at once.

The schema (mailflow.config.schema) says what each key is and what it defaults to; this
module finds the file, checks it in one pass (the schema table by table, then what it
means, against the workflow it names) and turns it into the objects the code reads.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailflow.config.known import Known
from mailflow.config.meaning import meaning
from mailflow.config.ops import CanarySettings, MetricsSettings, WebSettings
from mailflow.config.parts import PART_OF, PARTS, made
from mailflow.config.people import Account, Person
from mailflow.config.problems import Problem, check_tables, unknown_tables
from mailflow.config.schedule import ScheduleSettings
from mailflow.config.security import LimitSettings, SecuritySettings
from mailflow.errors import ConfigError
from mailflow.workflow.definition import Workflow, load_workflow

__all__ = ["Account", "Person", "Settings", "find_config", "load_settings", "settings_from"]

DEFAULT_CONFIG_NAMES = ("mailflow.toml", "config.toml")


@dataclass(frozen=True)
class Settings:
    """Everything mailflow reads from its configuration file, checked and typed; what each
    setting means and its default are on the schema's fields."""

    path: Path | None
    data_dir: Path
    database_url: str
    shared_inbox: str
    from_name: str
    message_id_domain: str
    workflow_path: Path | None
    templates_dir: Path | None
    source_kind: str
    maildir_root: Path
    imap: Any
    sink_kind: str
    smtp: Any
    poll_seconds: float
    reminder_check_minutes: float
    escalate_after: int
    unhealthy_after_seconds: float
    people: tuple[Person, ...]
    accounts: tuple[Account, ...]
    security: SecuritySettings
    limits: LimitSettings
    jira_senders: tuple[str, ...]
    jira_decisions: str
    max_attach_bytes: int
    schedule: ScheduleSettings
    quarantine_after_attempts: int
    lease_seconds: float
    daemon_name: str
    internal_domains: tuple[str, ...]
    upgrade_on_start: bool
    web: WebSettings
    metrics: MetricsSettings
    canary: CanarySettings

    def person(self, email: str) -> Person | None:
        wanted = email.lower()
        return next((p for p in self.people if p.email == wanted), None)

    def account(self, key: str) -> Account | None:
        return next((a for a in self.accounts if a.key == key), None)

    def account_for_domain(self, domain: str) -> Account | None:
        domain = domain.lower()
        return next((a for a in self.accounts if domain in a.domains), None)

    def own_addresses(self) -> tuple[str, ...]:
        return (self.shared_inbox,)

    if not TYPE_CHECKING:  # mypy still sees only the fields

        def __getattr__(self, name: str) -> Any:
            """A setting not made yet, of settings read as used: made, with its part's
            others, from its tables, checked now."""
            unread = self.__dict__.get("_unread")
            if unread is None or name not in PART_OF:
                raise AttributeError(name)
            for key, value in unread.part(name).items():
                object.__setattr__(self, key, value)
            return self.__dict__[name]


def find_config(explicit: str | Path | None) -> Path | None:
    """The file to read: the one named, $MAILFLOW_CONFIG, or mailflow.toml / config.toml here."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("MAILFLOW_CONFIG")
    if env:
        return Path(env)
    for name in DEFAULT_CONFIG_NAMES:
        if Path(name).is_file():
            return Path(name)
    if Path("config.example.toml").is_file():
        return Path("config.example.toml")
    return None


def load_settings(path: str | Path | None, as_used: bool = False) -> Settings:
    """Read and check a configuration file (or the example next to the code when none is
    found); `as_used` as settings_from has it."""
    found = find_config(path)
    if found is None:
        raise ConfigError(
            "no configuration file: pass --config FILE, set MAILFLOW_CONFIG, or copy "
            "config.example.toml to mailflow.toml"
        )
    try:
        data = tomllib.loads(found.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{found}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{found}: not valid TOML: {exc}") from None
    return settings_from(data, found, as_used)


def settings_from(data: dict[str, Any], path: Path | None, as_used: bool = False) -> Settings:
    """Parsed TOML checked in one pass, or ConfigError listing every problem of the file and
    of the workflow it names. Relative paths are relative to `path`'s folder.

    `as_used`: for a command that only reads, the file's tables are checked as the command
    first reads a setting made from them (a problem of a table it never reads is left to
    `mailflow check`), and what the file means beyond each table is not checked.
    """
    where = str(path) if path else "<config>"
    base = path.parent.resolve() if path else Path.cwd()
    workflow, workflow_problems = _workflow(data, base)
    known = Known.of(data, base, workflow)
    if as_used:
        _refuse(where, unknown_tables(data), workflow_problems)
        return _Unread(data, known, where, base).settings(path)
    tables, problems = check_tables(data, known)
    _refuse(where, problems + meaning(tables, known), workflow_problems)
    return Settings(path=path, **made(PARTS, tables, base))


def _refuse(where: str, problems: list[Problem], workflow_problems: list[str]) -> None:
    lines = [f"{where}: {key} {message}" for key, message in problems] + workflow_problems
    if lines:
        raise ConfigError(lines)


@dataclass(frozen=True)
class _Unread:
    """The file's tables not checked yet, for settings read as used."""

    data: dict[str, Any]
    known: Known
    where: str
    base: Path

    def settings(self, path: Path | None) -> Settings:
        settings = Settings.__new__(Settings)
        object.__setattr__(settings, "path", path)
        object.__setattr__(settings, "_unread", self)
        return settings

    def part(self, name: str) -> dict[str, Any]:
        """The settings of the part that makes `name`, its tables checked now."""
        part = PART_OF[name]
        tables, problems = check_tables(self.data, self.known, part.tables)
        _refuse(self.where, problems, [])
        return part.make(tables, self.base)


def _workflow(data: dict[str, Any], base: Path) -> tuple[Workflow | None, list[str]]:
    """The workflow the file names, read for its roles (its templates are checked by the app).

    None without problems when the name is not a text or not there: the schema and the
    meaning checks say so with the key.
    """
    main = data.get("mailflow")
    named = main.get("workflow") if isinstance(main, dict) else None
    path = base / named if isinstance(named, str) else None
    if named is not None and (path is None or not path.exists()):
        return None, []
    stamp = (path.stat().st_mtime_ns, path.stat().st_size) if path else None
    try:
        return _read_workflow(path, stamp), []
    except (ConfigError, OSError) as exc:
        return None, exc.problems if isinstance(exc, ConfigError) else [f"{path}: {exc}"]


@lru_cache(maxsize=8)
def _read_workflow(path: Path | None, stamp: tuple[int, int] | None) -> Workflow:
    """Read once per version of the file: every command and each reload checks the roles."""
    return load_workflow(path)
