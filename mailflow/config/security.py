"""The [security] and [limits] tables of the configuration → frozen, checked settings.

Kept apart from config.py so the one place that says what a policy or a limit means
also says how it is configured; config.py only calls `security_settings` and
`limit_settings` and reports their problems with the rest.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SENDER, TOKEN, AUTHENTICATED = "sender", "token", "authenticated"
POLICIES = (SENDER, TOKEN, AUTHENTICATED)
"""From weakest to strictest; the index is the strength."""

Bad = Callable[[str, str], None]


@dataclass(frozen=True)
class SecuritySettings:
    """How a reply proves who sent it. See README "Security model" for what each policy means."""

    policy: str = TOKEN
    role_policies: Mapping[str, str] = field(default_factory=dict)
    secret: str = ""
    previous_secrets: tuple[str, ...] = ()
    token_days: int = 60
    token_grace_days: int = 14
    reply_subaddress: bool = False
    trusted_authserv_ids: tuple[str, ...] = ()
    accept_forwarded: bool = False
    # explanations to one sender on one CR in a UTC day, before the last note (answer_cap.py)
    max_answers_per_cr_per_day: int = 5
    # a remark a person confirmed beside a decision is taken as written from them next time
    remember_confirmed_remarks: bool = True

    def policy_for(self, role: str) -> str:
        return self.role_policies.get(role, self.policy)


@dataclass(frozen=True)
class LimitSettings:
    """Size limits on what comes in and rate limits on what goes out."""

    max_message_bytes: int = 25 * 1024 * 1024
    max_attachments: int = 20
    max_attachment_bytes: int = 15 * 1024 * 1024
    per_address_per_hour: int = 60
    total_per_hour: int = 600


def strength(policy: str) -> int:
    return POLICIES.index(policy)


def security_settings(table: Any, bad: Bad) -> SecuritySettings:
    """Read [security]; every problem goes to `bad(key, message)`."""
    if not isinstance(table, dict):
        if table is not None:
            bad("security", "must be a table")
        return SecuritySettings()
    known = {
        "policy",
        "roles",
        "secret",
        "secret_env",
        "previous_secrets",
        "previous_secrets_env",
        "token_days",
        "token_grace_days",
        "reply_subaddress",
        "trusted_authserv_ids",
        "accept_forwarded",
        "max_answers_per_cr_per_day",
        "remember_confirmed_remarks",
    }
    for key in table:
        if key not in known:
            bad(f"security.{key}", f"is not a known setting (known: {', '.join(sorted(known))})")
    policy = _policy(table.get("policy", TOKEN), "security.policy", bad)
    roles = table.get("roles", {})
    if not isinstance(roles, dict):
        bad("security.roles", "must be a table of role = policy")
        roles = {}
    role_policies = {str(r): _policy(p, f"security.roles.{r}", bad) for r, p in roles.items()}
    secret = env_or_value(table, "secret", "security", bad)
    previous: list[str] = []
    raw_previous = table.get("previous_secrets", [])
    if isinstance(raw_previous, list):
        previous += [str(s) for s in raw_previous if str(s)]
    else:
        bad("security.previous_secrets", "must be a list of strings")
    env_names = table.get("previous_secrets_env", [])
    for name in env_names if isinstance(env_names, list) else [env_names]:
        value = os.environ.get(str(name))
        if value is None:
            bad("security.previous_secrets_env", f"names ${name}, which is not set")
        elif value:
            previous.append(value)
    ids = table.get("trusted_authserv_ids", [])
    if not isinstance(ids, list):
        bad("security.trusted_authserv_ids", "must be a list of host names")
        ids = []
    return SecuritySettings(
        policy=policy,
        role_policies=role_policies,
        secret=secret,
        previous_secrets=tuple(previous),
        token_days=_int(table, "token_days", 60, "security", bad, minimum=1),
        token_grace_days=_int(table, "token_grace_days", 14, "security", bad),
        reply_subaddress=bool(table.get("reply_subaddress", False)),
        trusted_authserv_ids=tuple(str(i).lower() for i in ids),
        accept_forwarded=bool(table.get("accept_forwarded", False)),
        max_answers_per_cr_per_day=_int(
            table, "max_answers_per_cr_per_day", 5, "security", bad, minimum=1
        ),
        remember_confirmed_remarks=bool(table.get("remember_confirmed_remarks", True)),
    )


def limit_settings(table: Any, bad: Bad) -> LimitSettings:
    """Read [limits]; a 0 rate limit means "no limit" (for tests and private relays)."""
    if not isinstance(table, dict):
        if table is not None:
            bad("limits", "must be a table")
        return LimitSettings()
    defaults = LimitSettings()
    names = [f for f in defaults.__dataclass_fields__]
    for key in table:
        if key not in names:
            bad(f"limits.{key}", f"is not a known setting (known: {', '.join(sorted(names))})")
    values = {n: _int(table, n, getattr(defaults, n), "limits", bad) for n in names}
    return LimitSettings(**values)


def _policy(value: Any, key: str, bad: Bad) -> str:
    if value not in POLICIES:
        bad(key, f"is {value!r}; expected one of {', '.join(POLICIES)}")
        return TOKEN
    return str(value)


def env_or_value(table: Mapping[str, Any], key: str, where: str, bad: Bad) -> str:
    """A setting written as `key = "…"` or, for secrets, `key_env = "VARIABLE"`."""
    env = table.get(f"{key}_env")
    if env:
        value = os.environ.get(str(env))
        if value is None:
            bad(f"{where}.{key}_env", f"names ${env}, which is not set")
            return ""
        return value
    return str(table.get(key, "") or "")


def _int(
    table: Mapping[str, Any], key: str, default: int, where: str, bad: Bad, minimum: int = 0
) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        bad(f"{where}.{key}", f"is {value!r}; expected a whole number >= {minimum}")
        return default
    return int(value)
