"""A CR's timeline and figures as an external reader (the customer) may see them.

The workflow file's [audience] section names what is safe to show; this module applies
it to the stored timeline. Transitions are retold in the customer's words, and two
steps inside FT that read the same to the customer ("With FT: costing" twice) become
one line or none. A decision is shown when the section lets its kind through and, for
"own side only" kinds, when an external person gave it; it names the person, never a
role key or an internal address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from mailflow.app import App
from mailflow.security.audience import Audience, audience_of
from mailflow.store.cr_tables import ChangeRequest
from mailflow.workflow.definition import Workflow

_ARROW = " → "


@dataclass(frozen=True)
class Shown:
    """One timeline line as an external reader gets it."""

    at: datetime
    kind: str
    detail: str


class TimelineEvent(Protocol):
    """What a view reads of a timeline line: a stored AuditEvent, or its plain columns."""

    @property
    def at(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def actor(self) -> str: ...


def stage_words(wf: Workflow, state: str) -> str:
    """A stage or end state in the customer's words."""
    return wf.visibility.stage_words(state, wf.title_of(state))


def external_events(app: App, events: Sequence[TimelineEvent]) -> list[Shown]:
    """The timeline lines an external reader may see, each retold for them."""
    wf, out = app.workflow, []
    names = {wf.title_of(s.name): s.name for s in wf.stages} | {
        e.title: name for name, e in wf.ends.items()
    }
    for event in events:
        if event.kind not in wf.visibility.events:
            continue
        if event.kind in wf.visibility.own_side_only and not _their_side(app, event.actor):
            continue
        detail = _retold(app, event, names)
        if detail:
            out.append(Shown(event.at, event.kind, detail))
    return out


def external_fields(wf: Workflow, cr: ChangeRequest, events: Sequence[TimelineEvent]) -> set[str]:
    """The fields an external reader may see on this CR now."""
    order = [s.name for s in wf.stages]
    reached = _standing(wf, cr, events)
    here = order.index(reached) if reached in order else -1
    shown = set()
    for name, rule in wf.visibility.fields.items():
        if rule.always or (rule.after in order and here > order.index(rule.after)):
            shown.add(name)
    return shown


def _standing(wf: Workflow, cr: ChangeRequest, events: Sequence[TimelineEvent]) -> str:
    """The stage a CR stands at; for an ended CR, the stage it ended from."""
    if not wf.is_end(cr.stage):
        return cr.stage
    titles = {s.title: s.name for s in wf.stages}
    for event in reversed(events):
        if event.kind == "transition" and _ARROW in event.detail:
            return titles.get(event.detail.split(_ARROW, 1)[0], "")
    return ""


def _their_side(app: App, actor: str | None) -> bool:
    if not actor:
        return False
    return audience_of(app.settings, app.workflow.external, actor) is Audience.EXTERNAL


def _retold(app: App, event: TimelineEvent, names: dict[str, str]) -> str:
    wf = app.workflow
    if event.kind == "transition":
        before, arrow, after = event.detail.partition(_ARROW)
        if not arrow:
            return ""
        old = stage_words(wf, names.get(before, before))
        new = stage_words(wf, names.get(after, after))
        return "" if old == new else f"{old}{_ARROW}{new}"
    if event.kind == "command":
        verb = event.detail.partition(": ")[2].partition(" — ")[0]
        return f"{_who(app, event.actor)}: {verb}"
    if event.kind == "progress":  # "Jira KEY, who: what": who retold, as for a command
        head, _, rest = event.detail.partition(", ")
        return f"{head}, {_who(app, event.actor)}: {rest.partition(': ')[2]}"
    if event.kind == "decision":
        said = event.detail.partition("): ")[2] or event.detail
        person = app.settings.person(event.actor or "")
        return f"{person.name if person else event.actor}: {said}"
    return event.detail


def _who(app: App, actor: str | None) -> str:
    """An internal person as the customer may know them: their CSM by name, else "FT"."""
    person = app.settings.person(actor or "")
    if person is None:
        return "FT"
    if _their_side(app, person.email):
        return person.name
    wf = app.workflow
    owner = next((r for r in wf.thread_owners if r in person.roles and r in wf.roles), None)
    return f"{person.name} (your {wf.roles[owner].title})" if owner else "FT"
