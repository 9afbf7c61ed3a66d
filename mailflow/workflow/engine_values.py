"""The values the workflow engine takes and gives: a CR's state, who replied, what they
said; and the result, whose effects (mails to send, lines of the timeline) are plain data.

Apart from the engine so that the rules that move a CR (engine.py) and those that remind
and escalate (reminding.py) share them without importing each other, and so that code
which only builds or reads these values need not load the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailflow.workflow.conventions import Conventions
from mailflow.workflow.definition import ANYONE
from mailflow.workflow.reasons import Question, Refusal

EVERYONE = ANYONE


@dataclass(frozen=True)
class CRState:
    """What the engine needs to know of a CR; the store maps it to and from its row."""

    stage: str
    entered_at: datetime
    held: bool = False
    fields: Mapping[str, Any] = field(default_factory=dict)
    votes: tuple[tuple[str, str], ...] = ()
    reminders: int = 0
    reminded_at: datetime | None = None
    currency: str = ""
    # how the CR's account writes figures and what its fields are checked against
    conventions: Conventions = field(default_factory=Conventions)


@dataclass(frozen=True)
class Actor:
    """The sender of a reply and the roles they hold on this CR."""

    address: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Said:
    """A reply as the engine sees it: verb, free text, raw `Key: value` fields, file count.

    Field keys are as the sender wrote them ("price", "due date"); Workflow.field_for
    says which field each one is.
    """

    verb: str
    text: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    attachments: int = 0


@dataclass(frozen=True)
class Mail:
    """An effect: a mail from a template to roles (EVERYONE = all on the CR) or to the sender."""

    template: str
    to_roles: tuple[str, ...] = ()
    cc_roles: tuple[str, ...] = ()
    to_sender: bool = False
    context: Mapping[str, Any] = field(default_factory=dict)
    # stages whose received documents go with this mail (the newest version of each)
    attach: tuple[str, ...] = ()


@dataclass(frozen=True)
class Audit:
    """An effect: one line of the CR's timeline."""

    kind: str
    detail: str


Effect = Mail | Audit


@dataclass(frozen=True)
class Result:
    """What apply() decided. `refusal` is None when the reply was acted on (a question back
    is not acting on it either)."""

    state: CRState
    effects: tuple[Effect, ...]
    refusal: Refusal | Question | None = None
    detail: str = ""

    @property
    def applied(self) -> bool:
        return self.refusal is None
