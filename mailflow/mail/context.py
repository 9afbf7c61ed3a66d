"""What a template may show about a CR: its facts, files, timeline and what to reply.

Pure: built from plain values handed in (see `cr_view.py`, which reads them from the
store), so that composing a mail never touches the database and templates never
need to know stage or field names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HistoryLine:
    at: str
    kind: str
    detail: str


@dataclass(frozen=True)
class CrView:
    """A CR as people see it: every value already in the words a mail shows."""

    id: str
    title: str
    description: str
    account: str  # the account's name
    stage: str
    stage_title: str
    held: bool
    opened_by: str
    created: str  # YYYY-MM-DD
    facts: Sequence[tuple[str, str]] = ()  # (label, value as shown)
    attachments: Sequence[str] = ()
    history: Sequence[HistoryLine] = ()
    expected: Sequence[str] = ()  # the replies the stage accepts, as people write them
    proposed_cost: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def template_context(
    view: CrView | None,
    role_titles: Sequence[str],
    shared_inbox: str,
    placeholder: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a template may show about a CR (see templates/ for what each one uses)."""
    base: dict[str, Any] = {
        "roles": " and ".join(role_titles) or "everyone on this CR",
        "shared_inbox": shared_inbox,
        "product": "mailflow",
        "history": [],
        "expected": [],
        "proposed_cost": "",
    }
    if view is None:
        base["cr"] = {
            "id": "", "title": "", "description": "", "account": "", "stage": "",
            "stage_title": "", "held": False, "facts": [], "attachments": [],
            "opened_by": "", "created": "", **(placeholder or {}),
        }  # fmt: skip
        return base
    base.update(
        {
            "cr": {
                "id": view.id,
                "title": view.title,
                "description": view.description,
                "account": view.account,
                "stage": view.stage,
                "stage_title": view.stage_title,
                "held": view.held,
                "facts": list(view.facts),
                "attachments": list(view.attachments),
                "opened_by": view.opened_by,
                "created": view.created,
                **view.extra,
            },
            "history": list(view.history),
            "expected": list(view.expected),
            "proposed_cost": view.proposed_cost,
        }
    )
    return base
