"""The proposed cost (a field × the account's rate) and whether a given cost is far from it.

A cost typed as 48 where 4,800 was meant is a real figure, so no reading rule catches it;
comparing it with what the effort implies does. A cost more than the account's factor
above or below the proposal is asked back with both figures; the same figure sent again
at the same stage is taken as meant (see checks.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mailflow.workflow.conventions import Conventions
from mailflow.workflow.definition import Field, Workflow
from mailflow.workflow.figures import show_money, show_quantity


@dataclass(frozen=True)
class Proposal:
    """What mailflow proposes for a money field, and how it got there."""

    field: str
    amount: Decimal
    currency: str
    basis: str  # "12 person-days × USD 800.00"
    shown: str  # "USD 9,600.00"

    @property
    def equation(self) -> str:
        return f"{self.basis} = {self.shown}"


def proposal(
    wf: Workflow, fields: Mapping[str, Any], conv: Conventions, field: Field | None = None
) -> Proposal | None:
    """The proposal for `field` (or the first money field that has one), or None."""
    for spec in [field] if field else list(wf.fields.values()):
        if spec.type != "money" or not spec.proposed_from or not conv.rate:
            continue
        source = wf.fields.get(spec.proposed_from)
        raw = fields.get(spec.proposed_from)
        if source is None or raw is None:
            continue
        try:
            amount = Decimal(str(raw)) * conv.rate
        except (InvalidOperation, TypeError):
            continue
        rate = show_money({"amount": conv.rate, "currency": conv.currency}, conv)
        basis = f"{show_quantity(raw, source.unit, conv)} × {rate}"
        shown = show_money({"amount": amount, "currency": conv.currency}, conv)
        return Proposal(spec.name, amount, conv.currency, basis, shown)
    return None


def far_from(amount: Decimal, target: Decimal, factor: Decimal) -> bool:
    """True when `amount` is more than `factor` times above or below `target`."""
    if target <= 0 or factor <= 1:
        return False
    return amount > target * factor or amount * factor < target
