"""What a template may show about a CR: its facts, files, timeline and what to reply.

Pure: built from plain values handed in (see `cr_view.py`, which reads them from the
store), so that composing a mail never touches the database and templates never
need to know stage or field names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# What a title may start with that the mails already say around it: "Change request:
# Nightly export" would read "Change request: Change request: Nightly export".
_LABEL_PREFIX = re.compile(
    r"^\s*(?:(?:change[ -]request|CR)(?::|\s+[-\u2013\u2014])\s*)+", re.IGNORECASE
)


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


@dataclass(frozen=True)
class Reader:
    """Who one rendering of a mail is for: the copies that share it are all addressed (on
    the To line) or all copied (Cc), on one side (internal or external). `name` and
    `address` are set only when a single copy uses the rendering."""

    addressed: bool = True
    name: str = ""
    address: str = ""
    to: str = ""  # the people on the To line this reader sees, in words
    to_addresses: Sequence[str] = ()

    def as_context(self) -> dict[str, Any]:
        return {
            "addressed": self.addressed,
            "copied": not self.addressed,
            "name": self.name,
            "address": self.address,
            "to": self.to,
            "to_addresses": list(self.to_addresses),
        }


def shown_title(title: str) -> str:
    """A CR's title as mails show it: without a leading "Change request:" or "CR:" label,
    which every mail puts before it already; the title itself when that is all it is."""
    return _LABEL_PREFIX.sub("", title).strip() or title


def people_words(names: Sequence[str]) -> str:
    """ "Dana", "Dana and Amardeep", "Dana, Amardeep and Priya"."""
    names = [n for n in dict.fromkeys(names) if n]
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def template_context(
    view: CrView | None,
    role_titles: Sequence[str],
    shared_inbox: str,
    placeholder: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a template may show about a CR (see templates/ for what each one uses)."""
    roles = people_words(role_titles) or "everyone on this CR"
    base: dict[str, Any] = {
        "roles": roles,
        # whom the mail greets: the role titles until the people on its To line are known
        # (cr_view.reader_context), and the reader of this rendering
        "greeting": roles,
        "named": False,
        "reader": Reader().as_context(),
        "labels": [],
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
                "title": shown_title(view.title),
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
