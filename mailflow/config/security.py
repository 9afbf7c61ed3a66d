"""The [security] and [limits] tables of the configuration: their schema and their settings.

The one place that says what a policy or a limit means also says how it is configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, Strict
from pydantic.dataclasses import dataclass as table_dataclass

from mailflow.config.known import RoleName
from mailflow.config.table import EnvName, Table, default_of

SENDER, TOKEN, AUTHENTICATED = "sender", "token", "authenticated"
POLICIES = (SENDER, TOKEN, AUTHENTICATED)
"""From weakest to strictest; the index is the strength."""

Policy = Literal["sender", "token", "authenticated"]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class SecurityTable(Table):
    """How a reply proves who sent it. See README "Security model" for each policy."""

    policy: Policy = Field(
        default="token",
        description='"sender": the bare From address holds the role; "token": that, plus a '
        "reply to a mail mailflow sent that very address at the CR's current step; "
        '"authenticated": that, plus dmarc=pass or an aligned dkim=pass.',
    )
    roles: dict[RoleName, Policy] = Field(
        default={}, description="Stricter policies for some roles, e.g. executive = ..."
    )
    secret: str | None = Field(
        default=None,
        description="The secret that signs replies' proofs (default: made on first run and "
        "kept in <data_dir>/reply-token.key).",
    )
    secret_env: EnvName | None = Field(
        default=None, description="The environment variable holding the secret."
    )
    previous_secrets: list[str] = Field(
        default=[], description="Old secrets, accepted for token_grace_days after a rotation."
    )
    previous_secrets_env: Annotated[list[EnvName], BeforeValidator(_as_list)] = Field(
        default=[], description="Environment variables holding old secrets."
    )
    token_days: int = Field(default=60, ge=1, le=3650, description="Days a reply proof is valid.")
    token_grace_days: int = Field(
        default=14, ge=0, le=3650, description="Days an old secret's proofs stay valid."
    )
    reply_subaddress: bool = Field(
        default=False,
        description="Also put the proof in Reply-To as approvals+PROOF@…; the server must "
        'deliver "+" addresses.',
    )
    trusted_authserv_ids: list[str] = Field(
        default=[],
        description="Your own receiving servers whose Authentication-Results are believed.",
    )
    accept_forwarded: bool = Field(
        default=False,
        description="A decision forwarded by someone else is recorded as evidence attested by "
        "the forwarder (the original attached whole, with its author's valid proof).",
    )
    max_answers_per_cr_per_day: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Explanations to one sender about one CR in a UTC day, then one last note.",
    )
    remember_confirmed_remarks: bool = Field(
        default=True,
        description="A remark a person confirmed beside a decision is taken as written from "
        "them next time.",
    )

    def settings(self) -> SecuritySettings:
        """The settings, secrets read from the environment (the schema checked they are set)."""
        named = self.previous_secrets_env
        previous = [*self.previous_secrets, *(os.environ[n] for n in named)]
        return SecuritySettings(
            policy=self.policy,
            role_policies=dict(self.roles),
            secret=os.environ[self.secret_env] if self.secret_env else self.secret or "",
            previous_secrets=tuple(s for s in previous if s),
            token_days=self.token_days,
            token_grace_days=self.token_grace_days,
            reply_subaddress=self.reply_subaddress,
            trusted_authserv_ids=tuple(i.lower() for i in self.trusted_authserv_ids),
            accept_forwarded=self.accept_forwarded,
            max_answers_per_cr_per_day=self.max_answers_per_cr_per_day,
            remember_confirmed_remarks=self.remember_confirmed_remarks,
        )


@dataclass(frozen=True)
class SecuritySettings:
    """[security] as the code reads it; the defaults are SecurityTable's."""

    policy: str = default_of(SecurityTable, "policy")
    role_policies: Mapping[str, str] = field(default_factory=dict)
    secret: str = ""
    previous_secrets: tuple[str, ...] = ()
    token_days: int = default_of(SecurityTable, "token_days")
    token_grace_days: int = default_of(SecurityTable, "token_grace_days")
    reply_subaddress: bool = default_of(SecurityTable, "reply_subaddress")
    trusted_authserv_ids: tuple[str, ...] = ()
    accept_forwarded: bool = default_of(SecurityTable, "accept_forwarded")
    max_answers_per_cr_per_day: int = default_of(SecurityTable, "max_answers_per_cr_per_day")
    remember_confirmed_remarks: bool = default_of(SecurityTable, "remember_confirmed_remarks")

    def policy_for(self, role: str) -> str:
        return self.role_policies.get(role, self.policy)


Count = Annotated[int, Strict()]


@table_dataclass(frozen=True, config=ConfigDict(extra="forbid", defer_build=True))
class LimitSettings:
    """[limits]: size limits on what comes in and rate limits on what goes out."""

    max_message_bytes: Count = Field(
        default=25 * 1024 * 1024, ge=0, description="A larger message is answered, not acted on."
    )
    max_attachments: Count = Field(default=20, ge=0, description="Attachments per message.")
    max_attachment_bytes: Count = Field(
        default=15 * 1024 * 1024, ge=0, description="The size of one attachment."
    )
    per_address_per_hour: Count = Field(
        default=60, ge=0, description="Mail to one address in an hour, then it waits; 0: no limit."
    )
    total_per_hour: Count = Field(
        default=600, ge=0, description="Mail in an hour, then it waits; 0: no limit."
    )


def strength(policy: str) -> int:
    return POLICIES.index(policy)
