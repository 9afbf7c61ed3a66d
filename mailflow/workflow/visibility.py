"""Who may see what of a CR: the workflow file's [audience] section, read and checked.

FT and its customers sit on opposite sides of a negotiation. FT's people are internal,
an account's people external; whatever an external reader gets (mail, STATUS? answer,
page, export) shows only what this section lets through, and anything it does not name
stays inside. So the lists say what is safe to show, never what to hide: a new event
kind or field is internal until someone decides otherwise.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Audience(enum.Enum):
    """Whose side a reader is on."""

    INTERNAL = "internal"  # FT's people
    EXTERNAL = "external"  # an account's people


@dataclass(frozen=True)
class FieldShown:
    """When an external reader sees a field: always, or once a stage has been passed."""

    always: bool = False
    after: str = ""  # a stage name: shown once the CR has gone past it (e.g. approved)


@dataclass(frozen=True)
class Visibility:
    """What an external reader sees; everything not named here is internal."""

    events: frozenset[str] = frozenset()  # timeline kinds shown ("transition", "decision")
    own_side_only: frozenset[str] = frozenset()  # of those, only an external actor's own
    stages: Mapping[str, str] = field(default_factory=dict)  # stage → customer words
    fields: Mapping[str, FieldShown] = field(default_factory=dict)

    def stage_words(self, stage: str, title: str) -> str:
        """A stage as the customer reads it ("With FT: costing"); its title if not named."""
        return self.stages.get(stage, title)


Problem = Callable[[str, str], None]


def read_visibility(raw: Any, stages: set[str], fields: set[str], problem: Problem) -> Visibility:
    """The [audience] table, checked against the workflow's own stages and fields."""
    if raw is None:
        return Visibility()
    if not isinstance(raw, dict):
        problem("audience", "must be a table")
        return Visibility()
    for key in sorted(set(raw) - {"external_events", "own_side_only", "stages", "fields"}):
        problem(f"audience.{key}", "is not known; expected external_events, own_side_only, "
                "stages or fields")  # fmt: skip
    events = _names(raw.get("external_events", []), "audience.external_events", problem)
    own = _names(raw.get("own_side_only", []), "audience.own_side_only", problem)
    for kind in sorted(own - events):
        problem("audience.own_side_only", f"names {kind!r}, which external_events does not show")
    words = raw.get("stages", {})
    if not isinstance(words, dict):
        problem("audience.stages", 'must be a table of stage = "words the customer reads"')
        words = {}
    for name, text in words.items():
        if name not in stages:
            problem(f"audience.stages.{name}", "names no stage of this workflow")
        elif not isinstance(text, str) or not text.strip():
            problem(f"audience.stages.{name}", "must be the words the customer reads")
    shown: dict[str, FieldShown] = {}
    table = raw.get("fields", {})
    if not isinstance(table, dict):
        problem("audience.fields", 'must be a table of field = "external" | "after STAGE"')
        table = {}
    for name, rule in table.items():
        key = f"audience.fields.{name}"
        if name not in fields:
            problem(key, "names no field of this workflow")
            continue
        text = str(rule).strip() if isinstance(rule, str) else ""
        if text == "external":
            shown[name] = FieldShown(always=True)
        elif text.startswith("after ") and text[6:].strip() in stages:
            shown[name] = FieldShown(after=text[6:].strip())
        elif text != "internal":
            problem(key, f'is {rule!r}; expected "external", "internal" or "after STAGE"')
    return Visibility(
        events=frozenset(events),
        own_side_only=frozenset(own),
        stages={k: v.strip() for k, v in words.items() if isinstance(v, str) and k in stages},
        fields=shown,
    )


def _names(raw: Any, key: str, problem: Problem) -> set[str]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        problem(key, "must be a list of names")
        return set()
    return set(raw)
