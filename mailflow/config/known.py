"""What a configuration file is checked against beyond its own shape.

A person's roles are checked against the workflow the file names, their accounts against
the accounts the file lists, their address against the other people's. These are read
leniently from the raw file before the schema runs, so that a type error elsewhere hides
none of them: the schema's validators find them here through pydantic's context.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.errors import HeaderParseError, MessageDefect
from email.headerregistry import Address
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo

from mailflow.workflow.definition import Workflow


@dataclass(frozen=True)
class Known:
    """The folder of the file, its workflow (None when it could not be read), and the
    account keys and people's addresses written in it."""

    base: Path = field(default_factory=Path.cwd)
    workflow: Workflow | None = None
    accounts: frozenset[str] = frozenset()
    addresses: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, data: dict[str, Any], base: Path, workflow: Workflow | None) -> Known:
        accounts = [a.get("key") for a in _tables(data.get("accounts"))]
        emails = [p.get("email") for p in _tables(data.get("people"))]
        return cls(
            base,
            workflow,
            frozenset(a for a in accounts if isinstance(a, str)),
            Counter(e.lower() for e in emails if isinstance(e, str)),
        )

    def role_names(self) -> list[str] | None:
        return sorted(self.workflow.roles) if self.workflow else None


def _tables(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def known(info: ValidationInfo) -> Known:
    """The Known of this validation; an empty one when validated without (as in tests)."""
    context = info.context
    found = context.get("known") if isinstance(context, dict) else None
    return found if isinstance(found, Known) else Known(workflow=None)


def is_address(text: str) -> bool:
    """A bare address such as approvals@ft.example, read by the standard library's parser."""
    try:
        address = Address(addr_spec=text)
    except (ValueError, IndexError, HeaderParseError, MessageDefect):
        return False
    return "." in address.domain and " " not in text


def did_you_mean(word: str, candidates: Iterable[str], show: Callable[[str], str] = repr) -> str:
    """' (did you mean X?)' for the nearest of the candidates, or '' when none is near."""
    near = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {show(near[0])}?)" if near else ""


def _known_role(role: str, info: ValidationInfo) -> str:
    roles = known(info).role_names()
    if roles is not None and role not in roles:
        near = did_you_mean(role, roles)
        raise ValueError(f"is not a role of the workflow{near}; it has: {', '.join(roles)}")
    return role


RoleName = Annotated[str, AfterValidator(_known_role)]
"""A role of the workflow the file names (any name when that workflow could not be read)."""
