"""How one customer account writes and checks figures: the settings typed fields are read by.

The engine stays pure: whoever builds a CR's state looks these up (the account's number
format, date order, billing rate, Jira projects, the people a CR may be assigned to) and
hands them in; the defaults check nothing that is not configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from mailflow.workflow.numbers import DEFAULT_FORMAT

DATE_ORDERS = ("DMY", "MDY")


@dataclass(frozen=True)
class Conventions:
    """An account's reading rules; empty values mean "not configured", never "anything"."""

    currency: str = ""
    number_format: str = DEFAULT_FORMAT
    # "DMY" or "MDY" settles 03/04/2027; empty: such a date is asked back.
    date_order: str = ""
    # the agreed rate per unit of the field a cost is proposed from (None: no proposal)
    rate: Decimal | None = None
    # a cost more than this many times above or below the proposal is asked back
    cost_check_factor: Decimal = Decimal(2)
    # other units and their worth in the field's unit, e.g. (("week", Decimal(5)),)
    unit_rules: tuple[tuple[str, Decimal], ...] = ()
    # Jira project keys this account's issues live in; empty: any project
    jira_projects: tuple[str, ...] = ()
    # who a "person" field may name (address → name); None: not checked
    assignable: Mapping[str, str] | None = None
    assignable_title: str = ""
