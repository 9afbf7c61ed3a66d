"""Where the mailbox and the SMTP server are: plain frozen values, checked on creation.

Apart from their tables (mailflow.config.transport), so that a process that only talks to
a server (the helper that sends during a backlog) gets these values without loading the
configuration's schema library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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
