"""The [[accounts]] and [[people]] of the configuration: their schema and their settings.

An account is a customer (its mail domains, its rate, how its people write figures); a
person holds roles of the workflow, per account for the roles whose scope is "account".
A name that is not there (an account, a role) is refused with the nearest one that is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from mailflow.config.known import did_you_mean, is_address, known
from mailflow.config.table import Table, default_of
from mailflow.workflow.conventions import DATE_ORDERS
from mailflow.workflow.numbers import DEFAULT_FORMAT, NUMBER_FORMATS


def _positive(worth: float) -> float:
    if worth <= 0:
        raise ValueError(f"is {worth!r}; expected a number of person-days above 0")
    return worth


class AccountTable(Table):
    """One [[accounts]] entry: a customer."""

    key: str = Field(min_length=1, description="The short name used on the command line.")
    name: str | None = Field(default=None, description="The customer's name (default: the key).")
    domains: list[str] = Field(
        min_length=1, description="The customer's mail domains; a request copied to one is theirs."
    )
    billing_rate: Decimal = Field(
        default=Decimal(0),
        ge=0,
        strict=False,
        description="The agreed rate per person-day, from which a cost is proposed.",
    )
    currency: str = Field(default="USD", description="The rate's currency, a 3-letter code.")
    jira_projects: list[str] = Field(
        default=[], description="Jira projects whose new issues are this account's requests."
    )
    number_format: str = Field(
        default=DEFAULT_FORMAT,
        description='How its people write figures: "1,234.56" or "1.234,56"; the other '
        "style is asked back, never guessed.",
    )
    date_order: str = Field(
        default="", description='"DMY" or "MDY" reads 03/04/2027 one way; unset, it is asked back.'
    )
    cost_check_factor: float = Field(
        default=2,
        gt=1,
        description="A cost more than this many times above or below the proposal is asked back.",
    )
    effort_units: dict[str, Annotated[float, AfterValidator(_positive)]] = Field(
        default={}, description="Other effort units in person-days, e.g. { week = 5 }."
    )

    @field_validator("billing_rate", mode="before")
    @classmethod
    def _rate_is_a_number(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"is {value!r}; expected a number")
        return value

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", value.upper()):
            raise ValueError(f"is {value!r}; expected a 3-letter code like USD")
        return value.upper()

    @field_validator("number_format")
    @classmethod
    def _number_format(cls, value: str) -> str:
        if value not in NUMBER_FORMATS:
            raise ValueError(f"is {value!r}; expected one of {list(NUMBER_FORMATS)}")
        return value

    @field_validator("date_order")
    @classmethod
    def _date_order(cls, value: str) -> str:
        if value and value.upper() not in DATE_ORDERS:
            raise ValueError(f"is {value!r}; expected one of {list(DATE_ORDERS)}")
        return value.upper()

    def settings(self) -> Account:
        units = tuple(
            (name.lower().rstrip("s") or name, Decimal(str(worth)))
            for name, worth in self.effort_units.items()
        )
        return Account(
            self.key,
            self.name or self.key,
            tuple(d.lower() for d in self.domains),
            self.billing_rate,
            self.currency,
            tuple(p.upper() for p in self.jira_projects),
            self.number_format,
            self.date_order,
            Decimal(str(self.cost_check_factor)),
            units,
        )


class PersonTable(Table):
    """One [[people]] entry: an address and the roles it holds."""

    name: str | None = Field(default=None, description="Their name (default: the address).")
    email: str = Field(description="Their address, matched case-insensitively.")
    accounts: list[str] = Field(
        default=[], description="For per-account roles (customer_rep, csm), the accounts served."
    )
    roles: list[str] = Field(default=[], description="Roles of the workflow they hold.")
    internal: bool | None = Field(
        default=None,
        description="FT's own (true) or an account's (false); unset, decided by the mail "
        "domain (see [mailflow] internal_domains).",
    )
    jira_account: str = Field(
        default="", description="Their Jira account id (Cloud) or user name (Data Center)."
    )

    @field_validator("email")
    @classmethod
    def _one_address(cls, value: str, info: ValidationInfo) -> str:
        if not is_address(value):
            raise ValueError(f"is {value!r}; expected an e-mail address")
        if known(info).addresses[value.lower()] > 1:
            raise ValueError(f"{value} is listed more than once")
        return value.lower()

    @field_validator("accounts")
    @classmethod
    def _known_accounts(cls, value: list[str], info: ValidationInfo) -> list[str]:
        accounts = known(info).accounts
        unknown = [
            f"names the unknown account {a!r}{did_you_mean(a, accounts)}"
            for a in value
            if a not in accounts
        ]
        if unknown:
            raise ValueError("; ".join(unknown))
        return value

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, value: list[str], info: ValidationInfo) -> list[str]:
        roles = known(info).role_names()
        unknown = [r for r in value if roles is not None and r not in roles]
        if unknown and roles is not None:
            has = f"the workflow has: {', '.join(roles)}"
            named = (f"names the unknown role {r!r}{did_you_mean(r, roles)}" for r in unknown)
            raise ValueError("; ".join([*named, has]))
        return value

    @model_validator(mode="after")
    def _accounts_for_per_account_roles(self, info: ValidationInfo) -> PersonTable:
        workflow = known(info).workflow
        if workflow is None or self.accounts:
            return self
        for role in self.roles:
            if role in workflow.roles and workflow.roles[role].scope == "account":
                raise ValueError(
                    f"({self.email}) holds {role!r}, which is per account, but lists no accounts"
                )
        return self

    def settings(self) -> Person:
        return Person(
            self.name or self.email,
            self.email,
            tuple(self.roles),
            tuple(self.accounts),
            self.internal,
            self.jira_account,
        )


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    roles: tuple[str, ...]
    accounts: tuple[str, ...] = ()
    # None: internal or external decided by the mail domain and the roles (security/audience.py)
    internal: bool | None = None
    # as Jira's notification mail links them (chain/jira_progress.py)
    jira_account: str = ""


@dataclass(frozen=True)
class Account:
    key: str
    name: str
    domains: tuple[str, ...]
    billing_rate: Decimal
    currency: str
    jira_projects: tuple[str, ...] = ()
    number_format: str = default_of(AccountTable, "number_format")
    date_order: str = default_of(AccountTable, "date_order")
    cost_check_factor: Decimal = Decimal(str(default_of(AccountTable, "cost_check_factor")))
    effort_units: tuple[tuple[str, Decimal], ...] = ()
