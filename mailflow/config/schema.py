"""The shape of the configuration file, checked by pydantic before anything reads it.

Every table forbids keys it does not know (a misspelt `[securty]` or `acept_forwarded`
is an error, not a silently weaker policy); values are strict (a boolean is `true` or
`false`, never the string "false"); numbers are finite and in range (`1e400` is not a
poll interval). pydantic reports every problem at once with its path, which
`problems()` turns into the usual "FILE: key message" lines.

What needs more than the shape (an address that looks like one, accounts named by
people, the roles of the workflow, folders that can be written) stays in config.py and
app.py; the sections owned by other modules ([schedule], the transports' own settings)
are checked there too, each by its own reader.
"""

from __future__ import annotations

import dataclasses
import typing
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

Policy = Literal["sender", "token", "authenticated"]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class MainTable(_Table):
    data_dir: str = "mailflow-data"
    shared_inbox: str = ""
    from_name: str = "Change requests"
    message_id_domain: str | None = None
    workflow: str | None = None
    templates: str | None = None
    internal_domains: list[str] = []


class DatabaseTable(_Table):
    url: str | None = None
    url_env: str | None = None
    upgrade_on_start: bool = False


class MaildirTable(_Table):
    path: str | None = None


class SourceTable(_Table):
    kind: Literal["maildir", "imap"] = "maildir"
    maildir: MaildirTable = Field(default_factory=MaildirTable)
    imap: dict[str, Any] | None = None


class SinkTable(_Table):
    kind: Literal["maildir", "smtp"] = "maildir"
    smtp: dict[str, Any] | None = None


class DaemonTable(_Table):
    poll_seconds: float = Field(default=30, gt=0, le=86400)
    reminder_check_minutes: float = Field(default=15, gt=0, le=10080)
    escalate_after: int = Field(default=2, ge=0, le=100)
    unhealthy_after_seconds: float = Field(default=300, gt=0, le=7 * 86400)
    quarantine_after_attempts: int = Field(default=3, ge=1, le=100)
    lease_seconds: float = Field(default=15, ge=1, le=3600)
    name: str = Field(default="", max_length=200)


class SecurityTable(_Table):
    policy: Policy = "token"
    roles: dict[str, Policy] = {}
    secret: str | None = None
    secret_env: str | None = None
    previous_secrets: list[str] = []
    previous_secrets_env: list[str] | str = []
    token_days: int = Field(default=60, ge=1, le=3650)
    token_grace_days: int = Field(default=14, ge=0, le=3650)
    reply_subaddress: bool = False
    trusted_authserv_ids: list[str] = []
    accept_forwarded: bool = False
    max_answers_per_cr_per_day: int = Field(default=5, ge=1, le=1000)
    remember_confirmed_remarks: bool = True


class LimitsTable(_Table):
    max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=0)
    max_attachments: int = Field(default=20, ge=0)
    max_attachment_bytes: int = Field(default=15 * 1024 * 1024, ge=0)
    per_address_per_hour: int = Field(default=60, ge=0)
    total_per_hour: int = Field(default=600, ge=0)


class DocumentsTable(_Table):
    max_attach_bytes: int = Field(default=10 * 1024 * 1024, ge=0)


class IntakeTable(_Table):
    jira_senders: list[str] = []


class AccountTable(_Table):
    key: str = Field(min_length=1)
    name: str | None = None
    domains: list[str] = Field(min_length=1)
    billing_rate: float | str = 0
    currency: str = "USD"
    jira_projects: list[str] = []
    number_format: str | None = None
    date_order: str | None = None
    cost_check_factor: float = Field(default=2, gt=1)
    effort_units: dict[str, float] = {}


class PersonTable(_Table):
    name: str | None = None
    email: str
    roles: list[str] = []
    accounts: list[str] = []
    internal: bool | None = None


class ConfigFile(_Table):
    mailflow: MainTable = Field(default_factory=MainTable)
    database: DatabaseTable = Field(default_factory=DatabaseTable)
    source: SourceTable = Field(default_factory=SourceTable)
    sink: SinkTable = Field(default_factory=SinkTable)
    daemon: DaemonTable = Field(default_factory=DaemonTable)
    security: SecurityTable = Field(default_factory=SecurityTable)
    limits: LimitsTable = Field(default_factory=LimitsTable)
    documents: DocumentsTable = Field(default_factory=DocumentsTable)
    intake: IntakeTable = Field(default_factory=IntakeTable)
    schedule: dict[str, Any] | None = None
    # [web], [metrics] and [canary] are checked by mailflow.config.ops
    web: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    canary: dict[str, Any] | None = None
    accounts: list[AccountTable] = []
    people: list[PersonTable] = []


def problems(data: dict[str, Any], where: str) -> list[str]:
    """Every shape problem of a parsed file, one "FILE: key message" line each."""
    try:
        ConfigFile.model_validate(data)
    except ValidationError as exc:
        return [f"{where}: {key} {message}" for key, message in problems_of(exc)]
    return []


def problems_of(exc: ValidationError) -> list[tuple[str, str]]:
    """(key, message) for each error pydantic found, the key written as in the file."""
    out = []
    for error in exc.errors():
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        key = key.lstrip(".")
        if error["type"] == "extra_forbidden":
            out.append((key, "is not a known setting"))
            continue
        got = error.get("input")
        shown = "" if isinstance(got, dict | list) else f"is {got!r}; "
        text = str(error["msg"])
        out.append((key, f"{shown}expected: {text[0].lower()}{text[1:]}"))
    return out


def fields_problems(cls: type, values: dict[str, Any]) -> list[tuple[str, str]]:
    """Check a transport's values strictly against its settings dataclass's fields."""
    try:
        _model_of(cls).model_validate(values)
    except ValidationError as exc:
        return problems_of(exc)
    return []


@cache
def _model_of(cls: type) -> type[BaseModel]:
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else ...
        fields[f.name] = (hints[f.name], default)
    return create_model(
        cls.__name__,
        __config__=ConfigDict(extra="forbid", strict=True, allow_inf_nan=False),
        **fields,
    )
