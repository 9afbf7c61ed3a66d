"""TOML → frozen settings. Every problem names its file and key, and all are reported at once."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from mailflow.config import schema as config_schema
from mailflow.config.meaning import meaning, merge
from mailflow.config.ops import (
    CanarySettings,
    MetricsSettings,
    WebSettings,
    canary_settings,
    metrics_settings,
    web_settings,
)
from mailflow.config.schedule import ScheduleSettings, schedule_settings
from mailflow.config.security import (
    LimitSettings,
    SecuritySettings,
    env_or_value,
    limit_settings,
    security_settings,
)
from mailflow.config.transport import ImapSettings, SmtpSettings
from mailflow.errors import ConfigError
from mailflow.workflow.conventions import DATE_ORDERS
from mailflow.workflow.numbers import DEFAULT_FORMAT, NUMBER_FORMATS

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
DEFAULT_CONFIG_NAMES = ("mailflow.toml", "config.toml")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    roles: tuple[str, ...]
    accounts: tuple[str, ...] = ()
    # FT's own people are internal, an account's people external; None: decided by
    # the mail domain and the roles (see mailflow/security/audience.py)
    internal: bool | None = None


@dataclass(frozen=True)
class Account:
    key: str
    name: str
    domains: tuple[str, ...]
    billing_rate: Decimal
    currency: str
    jira_projects: tuple[str, ...] = ()
    # how the account writes figures (see workflow/conventions.py)
    number_format: str = DEFAULT_FORMAT
    date_order: str = ""
    cost_check_factor: Decimal = Decimal(2)
    effort_units: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class Settings:
    """Everything mailflow reads from its configuration file, checked and typed."""

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
    security: SecuritySettings = SecuritySettings()
    limits: LimitSettings = LimitSettings()
    jira_senders: tuple[str, ...] = ()
    # a stored document larger than this is named in a request, not attached
    max_attach_bytes: int = 10 * 1024 * 1024
    # the business days reminder timing counts ([schedule])
    schedule: ScheduleSettings = ScheduleSettings()
    # a message whose handling fails this many times (across restarts) is quarantined
    quarantine_after_attempts: int = 3
    # several daemons, one mailbox: the reader's lease runs out this long after it died
    lease_seconds: float = 15.0
    # this daemon's name in `mailflow status` (default host:pid:start)
    daemon_name: str = ""
    # mail domains of FT's own people (internal); see mailflow/security/audience.py
    internal_domains: tuple[str, ...] = ()
    # an older database schema is upgraded at start (after a copy of a SQLite file)
    upgrade_on_start: bool = False
    # running it for real: the status page, the Prometheus endpoint, the round-trip canary
    web: WebSettings = WebSettings()
    metrics: MetricsSettings = MetricsSettings()
    canary: CanarySettings = CanarySettings()

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


def load_settings(path: str | Path | None) -> Settings:
    """Read and check a configuration file (or the example next to the code when none is found)."""
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
    return build_settings(data, found)


def build_settings(data: dict[str, Any], path: Path | None) -> Settings:
    where = str(path) if path else "<config>"
    problems: list[str] = []
    base = path.parent.resolve() if path else Path.cwd()

    def bad(key: str, message: str) -> None:
        problems.append(f"{where}: {key} {message}")

    main = _section(data, "mailflow", bad)
    _unknown(
        main,
        {
            "data_dir",
            "shared_inbox",
            "from_name",
            "message_id_domain",
            "workflow",
            "templates",
            "internal_domains",
        },
        "mailflow",
        bad,
    )
    data_dir = (base / str(main.get("data_dir", "mailflow-data"))).resolve()
    shared_inbox = str(main.get("shared_inbox", "")).lower()
    if not _EMAIL.match(shared_inbox):
        bad("mailflow.shared_inbox", f"is {shared_inbox!r}; expected the approvals mailbox address")
    domain = str(main.get("message_id_domain", shared_inbox.partition("@")[2] or "localhost"))
    workflow = main.get("workflow")
    templates = main.get("templates")
    internal_domains = tuple(str(d).lower().lstrip("@") for d in main.get("internal_domains", []))
    for i, internal in enumerate(internal_domains):
        if "." not in internal or "@" in internal or " " in internal:
            bad(f"mailflow.internal_domains[{i}]", f"is {internal!r}; expected a mail domain")

    db = _section(data, "database", bad)
    _unknown(db, {"url", "url_env", "upgrade_on_start"}, "database", bad)
    url = env_or_value(db, "url", "database", bad) or f"sqlite:///{data_dir / 'mailflow.db'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")

    source = _section(data, "source", bad)
    source_kind = str(source.get("kind", "maildir"))
    maildir_root = base / str(_section(source, "maildir", bad).get("path", data_dir / "mail"))
    imap = None
    if source_kind == "imap":
        imap = _transport(source.get("imap"), ImapSettings, "source.imap", bad)
    elif source_kind != "maildir":
        bad("source.kind", f"is {source_kind!r}; expected 'maildir' or 'imap'")

    sink = _section(data, "sink", bad)
    sink_kind = str(sink.get("kind", "maildir"))
    smtp = None
    if sink_kind == "smtp":
        smtp = _transport(sink.get("smtp"), SmtpSettings, "sink.smtp", bad)
    elif sink_kind != "maildir":
        bad("sink.kind", f"is {sink_kind!r}; expected 'maildir' or 'smtp'")

    daemon = _section(data, "daemon", bad)
    _unknown(
        daemon,
        {
            "poll_seconds",
            "reminder_check_minutes",
            "escalate_after",
            "unhealthy_after_seconds",
            "quarantine_after_attempts",
            "lease_seconds",
            "name",
        },
        "daemon",
        bad,
    )
    unhealthy_after = _number(daemon, "unhealthy_after_seconds", 300, "daemon", bad)
    poll = _number(daemon, "poll_seconds", 30, "daemon", bad)
    reminder_check = _number(daemon, "reminder_check_minutes", 15, "daemon", bad)
    escalate_after = int(_number(daemon, "escalate_after", 2, "daemon", bad))
    quarantine_after = int(_number(daemon, "quarantine_after_attempts", 3, "daemon", bad))
    lease_seconds = _number(daemon, "lease_seconds", 15, "daemon", bad)

    intake = _section(data, "intake", bad)
    _unknown(intake, {"jira_senders"}, "intake", bad)
    jira_senders = tuple(str(a).lower() for a in intake.get("jira_senders", []))
    for i, sender in enumerate(jira_senders):
        if not _EMAIL.match(sender):
            bad(f"intake.jira_senders[{i}]", f"is {sender!r}; expected an e-mail address")
    documents = _section(data, "documents", bad)
    _unknown(documents, {"max_attach_bytes"}, "documents", bad)
    max_attach = int(_number(documents, "max_attach_bytes", 10 * 1024 * 1024, "documents", bad))
    accounts = tuple(_accounts(data.get("accounts", []), bad))
    people = tuple(_people(data.get("people", []), {a.key for a in accounts}, bad))
    security = security_settings(data.get("security"), bad)
    limits = limit_settings(data.get("limits"), bad)
    schedule = schedule_settings(data.get("schedule"), bad)
    web = web_settings(data.get("web"), bad)
    metrics = metrics_settings(data.get("metrics"), bad)
    canary = canary_settings(data.get("canary"), bad)
    problems = merge(config_schema.problems(data, where), problems)
    existing = {
        "mailflow.workflow": (base / str(workflow)) if workflow else None,
        "mailflow.templates": (base / str(templates)) if templates else None,
    }
    problems += meaning(data_dir, maildir_root, url, shared_inbox, people, where, existing)
    if problems:
        raise ConfigError(problems)
    return Settings(
        path=path,
        data_dir=data_dir,
        database_url=url,
        shared_inbox=shared_inbox,
        from_name=str(main.get("from_name", "Change requests")),
        message_id_domain=domain,
        workflow_path=(base / str(workflow)) if workflow else None,
        templates_dir=(base / str(templates)) if templates else None,
        source_kind=source_kind,
        maildir_root=maildir_root,
        imap=imap,
        sink_kind=sink_kind,
        smtp=smtp,
        poll_seconds=poll,
        reminder_check_minutes=reminder_check,
        escalate_after=escalate_after,
        unhealthy_after_seconds=unhealthy_after,
        people=people,
        accounts=accounts,
        security=security,
        limits=limits,
        jira_senders=jira_senders,
        max_attach_bytes=max_attach,
        schedule=schedule,
        quarantine_after_attempts=max(1, quarantine_after),
        lease_seconds=lease_seconds,
        daemon_name=str(daemon.get("name") or ""),
        internal_domains=internal_domains,
        upgrade_on_start=db.get("upgrade_on_start") is True,
        web=web,
        metrics=metrics,
        canary=canary,
    )


def _section(data: dict[str, Any], key: str, bad: Any) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        bad(key, "must be a table")
        return {}
    return value


def _unknown(table: dict[str, Any], known: set[str], where: str, bad: Any) -> None:
    for key in table:
        if key not in known and not isinstance(table[key], dict):
            bad(f"{where}.{key}", f"is not a known setting (known: {', '.join(sorted(known))})")


def _number(table: dict[str, Any], key: str, default: float, where: str, bad: Any) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        bad(f"{where}.{key}", f"is {value!r}; expected a number >= 0")
        return default
    return float(value)


def _transport(table: Any, cls: Any, where: str, bad: Any) -> Any:
    if not isinstance(table, dict):
        bad(where, "is missing; it must be a table with the server's settings")
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key.endswith("_env") and key.removesuffix("_env") in names:
            values[key.removesuffix("_env")] = env_or_value(
                table, key.removesuffix("_env"), where, bad
            )
        elif key in names:
            values[key] = value
        else:
            bad(f"{where}.{key}", f"is not a known setting (known: {', '.join(sorted(names))})")
    shape = config_schema.fields_problems(cls, values)
    for key, message in shape:
        bad(f"{where}.{key}", message)
    if shape:
        return None
    try:
        return cls(**values)
    except ConfigError as exc:
        for problem in exc.problems:
            bad(where, problem)
        return None
    except (TypeError, ValueError) as exc:
        bad(where, f"is incomplete or wrong: {exc}")
        return None


def _accounts(raw: Any, bad: Any) -> list[Account]:
    out: list[Account] = []
    for i, spec in enumerate(raw if isinstance(raw, list) else []):
        key = f"accounts[{i}]"
        if not isinstance(spec, dict) or not spec.get("key"):
            bad(key, "must be a table with a key")
            continue
        domains = tuple(str(d).lower() for d in spec.get("domains", []))
        if not domains:
            bad(f"{key}.domains", "is empty; an account needs at least one mail domain")
        try:
            rate = Decimal(str(spec.get("billing_rate", "0")))
        except InvalidOperation:
            bad(f"{key}.billing_rate", f"is {spec.get('billing_rate')!r}; expected a number")
            rate = Decimal(0)
        currency = str(spec.get("currency", "USD")).upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            bad(f"{key}.currency", f"is {currency!r}; expected a 3-letter code like USD")
        projects = tuple(str(p).upper() for p in spec.get("jira_projects", []))
        out.append(
            Account(
                str(spec["key"]),
                str(spec.get("name", spec["key"])),
                domains,
                rate,
                currency,
                projects,
                **_figure_settings(spec, key, bad),
            )
        )
    if raw and not isinstance(raw, list):
        bad("accounts", "must be an array of tables ([[accounts]])")
    return out


def _figure_settings(spec: dict[str, Any], key: str, bad: Any) -> dict[str, Any]:
    """An account's number format, date order, cost check factor and effort units."""
    out: dict[str, Any] = {}
    number_format = str(spec.get("number_format", DEFAULT_FORMAT))
    if number_format not in NUMBER_FORMATS:
        bad(f"{key}.number_format", f"is {number_format!r}; expected one of {list(NUMBER_FORMATS)}")
    out["number_format"] = number_format if number_format in NUMBER_FORMATS else DEFAULT_FORMAT
    order = str(spec.get("date_order", "")).upper()
    if order and order not in DATE_ORDERS:
        bad(f"{key}.date_order", f"is {order!r}; expected one of {list(DATE_ORDERS)}")
    out["date_order"] = order if order in DATE_ORDERS else ""
    factor = spec.get("cost_check_factor", 2)
    if isinstance(factor, bool) or not isinstance(factor, int | float) or factor <= 1:
        bad(f"{key}.cost_check_factor", f"is {factor!r}; expected a number above 1")
        factor = 2
    out["cost_check_factor"] = Decimal(str(factor))
    units = spec.get("effort_units", {})
    rules = []
    for name, worth in units.items() if isinstance(units, dict) else ():
        if isinstance(worth, bool) or not isinstance(worth, int | float) or worth <= 0:
            bad(f"{key}.effort_units.{name}", f"is {worth!r}; expected a number of person-days")
            continue
        rules.append((str(name).lower().rstrip("s") or str(name), Decimal(str(worth))))
    if not isinstance(units, dict):
        bad(f"{key}.effort_units", "must be a table, e.g. { week = 5 }")
    out["effort_units"] = tuple(rules)
    return out


def _people(raw: Any, accounts: set[str], bad: Any) -> list[Person]:
    out: list[Person] = []
    seen: set[str] = set()
    for i, spec in enumerate(raw if isinstance(raw, list) else []):
        key = f"people[{i}]"
        if not isinstance(spec, dict):
            bad(key, "must be a table")
            continue
        email = str(spec.get("email", "")).lower()
        if not _EMAIL.match(email):
            bad(f"{key}.email", f"is {email!r}; expected an e-mail address")
        if email in seen:
            bad(f"{key}.email", f"{email} is listed twice")
        seen.add(email)
        for account in spec.get("accounts", []):
            if account not in accounts:
                bad(f"{key}.accounts", f"names the unknown account {account!r}")
        out.append(
            Person(
                str(spec.get("name", email)),
                email,
                tuple(str(r) for r in spec.get("roles", [])),
                tuple(str(a) for a in spec.get("accounts", [])),
                spec.get("internal") if isinstance(spec.get("internal"), bool) else None,
            )
        )
    if raw and not isinstance(raw, list):
        bad("people", "must be an array of tables ([[people]])")
    return out


def check_people_roles(settings: Settings, role_scopes: dict[str, str]) -> list[str]:
    """Problems between the people and the workflow's roles (unknown role, missing account)."""
    where = str(settings.path) if settings.path else "<config>"
    problems = []
    for i, person in enumerate(settings.people):
        for role in person.roles:
            if role not in role_scopes:
                problems.append(
                    f"{where}: people[{i}].roles names the unknown role {role!r} "
                    f"(the workflow has: {', '.join(sorted(role_scopes))})"
                )
            elif role_scopes[role] == "account" and not person.accounts:
                problems.append(
                    f"{where}: people[{i}] ({person.email}) holds {role!r}, which "
                    f"is per account, but lists no accounts"
                )
    return problems
