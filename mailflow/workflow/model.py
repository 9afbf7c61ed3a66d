"""The shape of a workflow: roles, fields, stages, replies, ends and commands, frozen.

The engine, the checks and the reader all see a workflow through these objects;
how one is read from its TOML file is in definition.py, and what makes one valid
in validate.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mailflow.workflow.visibility import Visibility
from mailflow.workflow.vocabulary import VerbSpec, Vocabulary

FIELD_TYPES = ("text", "integer", "decimal", "money", "date", "jira", "person", "url")
ROLE_SCOPES = ("account", "global", "cr")
COMMAND_EFFECTS = ("end", "hold", "resume", "status", "confirm")
ANYONE = "*"
# In a mail's roles: the people who take part in the CR (see effects.participants).
PARTICIPANTS = "+"


@dataclass(frozen=True)
class Role:
    name: str
    title: str
    scope: str


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str
    unit: str = ""
    proposed_from: str = ""
    # the other names people write before the colon for it ("Price:" for Cost), lower-case
    names: tuple[str, ...] = ()

    def all_names(self) -> tuple[str, ...]:
        """Every name a reply may give this field by: its own, its label, its listed names."""
        return (self.name.lower(), self.label.lower(), *self.names)


# A word of a field name, cut the way the reader cuts a line (letters and digits, an
# apostrophe inside a word); "Due-date", "due  date" and "Due date" are the same key.
_KEY_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


@functools.lru_cache(maxsize=4096)  # a reply's few keys against every field's names
def key_words(key: str) -> str:
    """A field key as the words it is made of, lower-case and single-spaced."""
    return " ".join(_KEY_WORD.findall(key.lower()))


def field_names(fields: Iterable[Field]) -> frozenset[str]:
    """Every key a "Key: value" line may carry, as written and as its words."""
    names = {k for f in fields for k in f.all_names()}
    return frozenset((names | {key_words(k) for k in names}) - {""})


@dataclass(frozen=True)
class Reply:
    """One accepted reply at a stage: the verb, where it leads, and what it must carry."""

    verb: str
    to: str | None
    fields: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    attachment: bool = False
    reason: bool = False
    notify: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stage:
    name: str
    title: str
    actors: tuple[str, ...]
    act: str
    copy: tuple[str, ...]
    template: str
    remind_hours: float
    replies: tuple[Reply, ...]
    # stages whose received documents go with this stage's request mail
    attach: tuple[str, ...] = ()
    # words naming what the stage is about, harmless beside its own verbs ("to QA")
    words: tuple[str, ...] = ()
    # fields an approval at this stage is of: a change to one afterwards undoes it
    approves: tuple[str, ...] = ()

    def reply(self, verb: str) -> Reply | None:
        return next((r for r in self.replies if r.verb == verb), None)


@dataclass(frozen=True)
class End:
    name: str
    title: str
    template: str


@dataclass(frozen=True)
class Command:
    verb: str
    roles: tuple[str, ...]
    effect: str
    to: str | None = None
    reason: bool = False


@dataclass(frozen=True)
class Workflow:
    """The whole process; the engine reads nothing else."""

    name: str
    title: str
    start: str
    roles: Mapping[str, Role]
    fields: Mapping[str, Field]
    stages: tuple[Stage, ...]
    ends: Mapping[str, End]
    commands: tuple[Command, ...]
    vocabulary: Vocabulary
    source: str
    informed: tuple[str, ...] = ()
    escalate_to: tuple[str, ...] = ()
    correctors: tuple[str, ...] = ()
    # who runs the conversation around a CR (see change_request.toml: the people around a CR)
    thread_owners: tuple[str, ...] = ()
    external: tuple[str, ...] = ()
    confirm_by_mail: tuple[str, ...] = ()
    escalate_instead: tuple[str, ...] = ()
    # who gets a weekly digest of the CRs that wait on them (thread owners get their own)
    digest_waiting: tuple[str, ...] = ()
    # roles told of every hold, resume, cancel and ending, besides those who took part
    told: tuple[str, ...] = ()
    # what an external reader (an account's people) may see; see workflow/visibility.py
    visibility: Visibility = Visibility()

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def title_of(self, state: str) -> str:
        stage = self.stage(state)
        if stage is not None:
            return stage.title
        end = self.ends.get(state)
        return end.title if end is not None else state

    def is_end(self, state: str) -> bool:
        return state in self.ends

    def field_for(self, key: str) -> str | None:
        """The field a reply's "Key:" stands for, by its name, label or listed names.

        The one mapping from what people write to the workflow's fields: the engine,
        the checks and the reader's near-miss hints all go through it.
        """
        wanted = key_words(key)
        return self._field_by_words.get(wanted) if wanted else None

    @functools.cached_property
    def _field_by_words(self) -> dict[str, str]:
        """Each field's names as words, to the field; built once, since every reply's
        keys are looked up in it (the first field that lists a name keeps it)."""
        table: dict[str, str] = {}
        for name, f in self.fields.items():
            for words in map(key_words, f.all_names()):
                table.setdefault(words, name)
        return table

    def command(self, verb: str) -> Command | None:
        return next((c for c in self.commands if c.verb == verb), None)

    def verb(self, verb: str) -> VerbSpec | None:
        return next((v for v in self.vocabulary.verbs if v.verb == verb), None)

    def templates(self) -> list[str]:
        return [s.template for s in self.stages] + [e.template for e in self.ends.values()]
