"""The configuration file's schema: every table, its keys, their defaults and meaning.

This is the one place a setting is described; config.example.toml shows them with
comments, `mailflow check` checks a file against them (mailflow.config.problems), and
mailflow.config.settings turns a checked file into the frozen settings the code reads.
What needs more than one table (folders that can be written, the shared inbox that is
nobody's address) is checked in mailflow.config.meaning.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from mailflow.config.known import is_address
from mailflow.config.ops import CanarySettings, MetricsSettings, WebSettings
from mailflow.config.people import AccountTable, PersonTable
from mailflow.config.schedule import ScheduleTable
from mailflow.config.security import LimitSettings, SecurityTable
from mailflow.config.table import EnvName, Table
from mailflow.config.transport import ImapTable, SmtpTable


def _address(value: str) -> str:
    if not is_address(value):
        raise ValueError(f"is {value!r}; expected an e-mail address")
    return value.lower()


def _domain(value: str) -> str:
    domain = value.lower().lstrip("@")
    if "." not in domain or "@" in domain or " " in domain:
        raise ValueError(f"is {value!r}; expected a mail domain")
    return domain


Address = Annotated[str, AfterValidator(_address)]


class MainTable(Table):
    """[mailflow]: where mailflow keeps its data and how its mail is addressed."""

    data_dir: str = Field(
        default="mailflow-data",
        description="Where the database, the Maildir folders and attachments live.",
    )
    shared_inbox: str = Field(
        description="The approvals mailbox: people reply to it and CSMs copy it on new requests."
    )
    from_name: str = Field(
        default="Change requests", description="The display name on every mail mailflow sends."
    )
    message_id_domain: str | None = Field(
        default=None,
        description="The domain of the Message-IDs mailflow mints (default: the shared "
        "inbox's domain).",
    )
    workflow: str | None = Field(
        default=None, description="Another workflow file (default: the built-in process)."
    )
    templates: str | None = Field(
        default=None, description="A folder of templates that override the built-in ones by name."
    )
    internal_domains: list[Annotated[str, AfterValidator(_domain)]] = Field(
        default=[],
        description="Mail domains of FT's own people: they read the internal side of a CR.",
    )

    @field_validator("shared_inbox")
    @classmethod
    def _inbox(cls, value: str) -> str:
        if not is_address(value):
            raise ValueError(f"is {value!r}; expected the approvals mailbox address")
        return value.lower()


class DatabaseTable(Table):
    url: str | None = Field(
        default=None, description="SQLAlchemy URL (default: sqlite:///<data_dir>/mailflow.db)."
    )
    url_env: EnvName | None = Field(
        default=None, description="The environment variable holding the URL."
    )
    upgrade_on_start: bool = Field(
        default=False,
        description="An older schema is upgraded at start (after a copy of a SQLite file) "
        "instead of stopping `run` until `mailflow db upgrade`.",
    )


class MaildirTable(Table):
    path: str | None = Field(
        default=None, description="The Maildir folders (default: <data_dir>/mail)."
    )


class SourceTable(Table):
    """[source]: where mail comes in."""

    kind: Literal["maildir", "imap"] = Field(
        default="maildir", description='"maildir": local folders; "imap": a real mailbox.'
    )
    maildir: MaildirTable = Field(default_factory=MaildirTable)
    imap: ImapTable | None = Field(default=None, description="The mailbox, for kind = imap.")

    @model_validator(mode="after")
    def _server_given(self) -> SourceTable:
        if self.kind == "imap" and self.imap is None:
            raise ValueError('kind is "imap" but there is no [source.imap] table')
        return self


class SinkTable(Table):
    """[sink]: where mail goes out."""

    kind: Literal["maildir", "smtp"] = Field(
        default="maildir", description='"maildir": <data_dir>/mail/sent; "smtp": a real server.'
    )
    smtp: SmtpTable | None = Field(default=None, description="The server, for kind = smtp.")

    @model_validator(mode="after")
    def _server_given(self) -> SinkTable:
        if self.kind == "smtp" and self.smtp is None:
            raise ValueError('kind is "smtp" but there is no [sink.smtp] table')
        return self


class DaemonTable(Table):
    """[daemon]: the timing of `mailflow run`."""

    poll_seconds: float = Field(
        default=30, gt=0, le=86400, description="How often a mailbox that cannot push is read."
    )
    reminder_check_minutes: float = Field(
        default=15, gt=0, le=10080, description="How often waiting steps are checked."
    )
    escalate_after: int = Field(
        default=2, ge=0, le=100, description="Reminders for one step before it is escalated."
    )
    unhealthy_after_seconds: float = Field(
        default=300,
        gt=0,
        le=7 * 86400,
        description="`mailflow status` reports unhealthy when the mailbox was not read for "
        "this long.",
    )
    quarantine_after_attempts: int = Field(
        default=3,
        ge=1,
        le=100,
        description="A message whose handling fails this many times (across restarts) is "
        "quarantined; a fault of the database or the network never counts.",
    )
    lease_seconds: float = Field(
        default=15,
        ge=1,
        le=3600,
        description="Several daemons, one mailbox: another takes over this long after the "
        "reader stopped renewing its lease.",
    )
    name: str = Field(
        default="",
        max_length=200,
        description="This daemon's name in `mailflow status` (default: host:pid:start time).",
    )


class DocumentsTable(Table):
    max_attach_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=0,
        description="A stored document larger than this is named in a request, not attached.",
    )


class IntakeTable(Table):
    jira_senders: list[Address] = Field(
        default=[], description="Addresses Jira sends its notifications from."
    )
    jira_decisions: Literal["confirm", "trust"] = Field(
        default="confirm",
        description="A decision read from a Jira comment: confirmed once by mail, or trusted.",
    )


class ConfigFile(Table):
    """The whole file. Tables left out take their defaults."""

    mailflow: MainTable
    database: DatabaseTable = Field(default_factory=DatabaseTable)
    source: SourceTable = Field(default_factory=SourceTable)
    sink: SinkTable = Field(default_factory=SinkTable)
    daemon: DaemonTable = Field(default_factory=DaemonTable)
    schedule: ScheduleTable = Field(default_factory=ScheduleTable)
    security: SecurityTable = Field(default_factory=SecurityTable)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    documents: DocumentsTable = Field(default_factory=DocumentsTable)
    intake: IntakeTable = Field(default_factory=IntakeTable)
    web: WebSettings = Field(default_factory=WebSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    canary: CanarySettings = Field(default_factory=CanarySettings)
    accounts: list[AccountTable] = Field(default=[], description="The customer accounts.")
    people: list[PersonTable] = Field(default=[], description="The people and their roles.")
