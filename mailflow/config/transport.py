"""The settings of the IMAP source and the SMTP sink: plain frozen values, checked on creation.

Kept apart from the transports so that reading the configuration (mailflow.config.settings)
never loads an IMAP or SMTP client library, and a settings error names its key. Each
dataclass is also its table's schema ([source.imap], [sink.smtp]): `transport_table`
makes the pydantic model from its fields and defaults, with `NAME_env` beside each text.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, create_model, model_validator

from mailflow.config.table import EnvName, Table
from mailflow.errors import ConfigError

Security = Literal["tls", "starttls", "plain"]
Auth = Literal["password", "xoauth2", "oauthbearer"]
SMTP_DEFAULT_PORTS = {"tls": 465, "starttls": 587, "plain": 25}


@dataclass(frozen=True)
class ImapSettings:
    """Where the mailbox is and how to log in; `port` defaults to 993 for tls, else 143."""

    host: str
    username: str
    password: str = ""
    port: int | None = None
    security: Security = "tls"
    auth: Auth = "password"
    token_command: str | None = None
    token_file: Path | str | None = None
    ca_file: Path | str | None = None
    inbox: str = "INBOX"
    processed: str = "Processed"
    quarantine: str = "Quarantine"
    idle: bool = True
    poll_seconds: float = 30.0
    idle_renew_seconds: float = 25 * 60
    timeout_seconds: float = 30.0
    batch_size: int = 100
    backoff_initial_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    retry_seconds: float = 300.0

    def __post_init__(self) -> None:
        problems = []
        if self.security not in ("tls", "starttls", "plain"):
            problems.append(f"imap security must be tls, starttls or plain, not {self.security!r}")
        if self.auth not in ("password", "xoauth2", "oauthbearer"):
            problems.append(f"imap auth must be password, xoauth2 or oauthbearer: {self.auth!r}")
        if self.auth != "password" and not (self.token_command or self.token_file):
            problems.append(f"imap auth {self.auth} needs token_command or token_file")
        if self.batch_size < 1:
            problems.append("imap batch_size must be at least 1")
        if len({self.inbox, self.processed, self.quarantine}) != 3:
            problems.append("imap inbox, processed and quarantine must be different folders")
        if problems:
            raise ConfigError(problems)

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.effective_port}"


@dataclass(frozen=True)
class SmtpSettings:
    """Where to hand mail over; `envelope_from` is used when a caller passes no sender."""

    host: str
    port: int | None = None
    security: Literal["tls", "starttls", "plain"] = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    timeout_seconds: float = 30.0
    envelope_from: str = ""
    ca_file: Path | str | None = None
    auth: Literal["password", "xoauth2"] = "password"
    token_command: str | None = None
    token_file: Path | str | None = None

    def __post_init__(self) -> None:
        if self.security not in SMTP_DEFAULT_PORTS:
            raise ConfigError(f"smtp security must be tls, starttls or plain: {self.security!r}")
        if self.auth not in ("password", "xoauth2"):
            raise ConfigError(f"smtp auth must be password or xoauth2: {self.auth!r}")
        if self.auth == "xoauth2" and not (
            self.username and (self.token_command or self.token_file)
        ):
            raise ConfigError("smtp auth xoauth2 needs username and token_command or token_file")

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port or SMTP_DEFAULT_PORTS[self.security]}"


class TransportTable(Table):
    """A server's table: its settings dataclass's fields, and `NAME_env` for each text field
    (the value read from that environment variable instead)."""

    settings_class: ClassVar[type] = object

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        named = {k.removesuffix("_env"): v for k, v in data.items() if k.endswith("_env")}
        found = {
            k: os.environ[v]
            for k, v in named.items()
            if k in cls.model_fields and isinstance(v, str) and v in os.environ
        }
        return {**data, **found}

    @model_validator(mode="after")
    def _whole(self) -> TransportTable:
        required = [f.name for f in dataclasses.fields(self.settings_class) if _required(f)]
        missing = [name for name in required if not getattr(self, name)]
        if missing:
            raise ValueError(f"needs {' and '.join(missing)} (or {missing[0]}_env)")
        self.settings()
        return self

    def settings(self) -> Any:
        """The dataclass; its own checks (an auth that needs a token source) as a ValueError."""
        names = [f.name for f in dataclasses.fields(self.settings_class)]
        try:
            return self.settings_class(**{n: getattr(self, n) for n in names})
        except ConfigError as exc:
            raise ValueError("; ".join(exc.problems)) from None


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


@cache
def transport_table(cls: type) -> type[TransportTable]:
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else ...
        fields[f.name] = (hints[f.name], default)
        if hints[f.name] is str or str in typing.get_args(hints[f.name]):
            fields[f"{f.name}_env"] = (EnvName | None, Field(default=None))
            if default is ...:  # written either way
                fields[f.name] = (hints[f.name], "")
    model = create_model(f"{cls.__name__}Table", __base__=TransportTable, **fields)
    model.settings_class = cls
    return model


if TYPE_CHECKING:
    ImapTable = TransportTable
    SmtpTable = TransportTable
else:
    ImapTable = transport_table(ImapSettings)
    SmtpTable = transport_table(SmtpSettings)
