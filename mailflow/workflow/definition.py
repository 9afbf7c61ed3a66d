"""Load a workflow TOML file into frozen objects, reporting every problem with its key.

The objects themselves live in model.py; they are importable from here too, beside
load_workflow, since a caller that loads a workflow usually names its parts.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from mailflow.errors import ConfigError
from mailflow.workflow.model import (
    ANYONE,
    COMMAND_EFFECTS,
    FIELD_TYPES,
    PARTICIPANTS,
    ROLE_SCOPES,
    Command,
    End,
    Field,
    Reply,
    Role,
    Stage,
    Workflow,
    field_names,
    key_words,
)
from mailflow.workflow.validate import check
from mailflow.workflow.visibility import read_visibility
from mailflow.workflow.vocabulary import VerbSpec, Vocabulary

__all__ = [
    "ANYONE",
    "COMMAND_EFFECTS",
    "DEFAULT_WORKFLOW",
    "FIELD_TYPES",
    "PARTICIPANTS",
    "ROLE_SCOPES",
    "Command",
    "End",
    "Field",
    "Reply",
    "Role",
    "Stage",
    "Workflow",
    "build_workflow",
    "field_names",
    "key_words",
    "load_workflow",
]

DEFAULT_WORKFLOW = "change_request.toml"


def load_workflow(
    path: Path | None = None, template_exists: Callable[[str], bool] | None = None
) -> Workflow:
    """Read and validate a workflow; the built-in one when no path is given."""
    if path is None:
        text = resources.files("mailflow.workflow").joinpath(DEFAULT_WORKFLOW).read_text("utf-8")
        source = f"<built-in {DEFAULT_WORKFLOW}>"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the workflow file: {exc.strerror}") from None
        source = str(path)
    try:
        data = _parsed(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    return build_workflow(data, source, template_exists)


@lru_cache(maxsize=4)
def _parsed(text: str) -> Mapping[str, Any]:
    """The TOML of a workflow, parsed once per text: a command reads the workflow twice,
    for the configuration's roles and with its templates, and parsing is the slow part.
    Shared between callers, so build_workflow only reads it."""
    return tomllib.loads(text)


def build_workflow(
    data: Mapping[str, Any], source: str, template_exists: Callable[[str], bool] | None = None
) -> Workflow:
    """Turn parsed TOML into a Workflow, or raise ConfigError listing every problem."""
    problems = _Problems(source)
    roles = {
        name: Role(name, str(spec.get("title", name)), str(spec.get("scope", "global")))
        for name, spec in _table(data, "roles", problems).items()
    }
    fields = _fields(data, problems)
    ends = {
        name: End(name, str(spec.get("title", name)), str(spec.get("template", f"notice/{name}")))
        for name, spec in _table(data, "ends", problems).items()
    }
    stages = tuple(_stage(i, raw, problems) for i, raw in enumerate(data.get("stages", []) or []))
    commands = tuple(_command(i, raw, problems) for i, raw in enumerate(data.get("commands", [])))
    workflow = Workflow(
        name=str(data.get("name", "workflow")),
        title=str(data.get("title", "Workflow")),
        start=str(data.get("start", stages[0].name if stages else "")),
        roles=roles,
        fields=fields,
        stages=stages,
        ends=ends,
        commands=commands,
        vocabulary=_vocabulary(data, problems, fields.values()),
        source=source,
        informed=_strings(data.get("informed")),
        escalate_to=_strings(data.get("escalate_to")),
        correctors=_strings(data.get("correctors")),
        thread_owners=_strings(data.get("thread_owners")),
        external=_strings(data.get("external")),
        confirm_by_mail=_strings(data.get("confirm_by_mail")),
        escalate_instead=_strings(data.get("escalate_instead")),
        digest_waiting=_strings(data.get("digest_waiting")),
        told=_strings(data.get("told")),
        visibility=read_visibility(
            data.get("audience"), {s.name for s in stages}, set(fields), problems.add
        ),
    )
    check(workflow, problems.add, template_exists)
    problems.raise_if_any()
    return workflow


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(f"{self.source}: {key} {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)


def _table(data: Mapping[str, Any], key: str, problems: _Problems) -> dict[str, dict[str, Any]]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.add(key, "must be a table")
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name, spec in value.items():
        if isinstance(spec, dict):
            out[name] = spec
        else:
            problems.add(f"{key}.{name}", "must be a table")
    return out


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in (value or ()))


def _vocabulary(
    data: Mapping[str, Any], problems: _Problems, fields: Iterable[Field]
) -> Vocabulary:
    verbs = []
    for name, spec in _table(data, "verbs", problems).items():
        phrases = tuple(p.lower() for p in _strings(spec.get("phrases", ())))
        verbs.append(
            VerbSpec(
                verb=name,
                phrases=phrases,
                takes_text=bool(spec.get("text", False)),
                affirmative=bool(spec.get("affirmative", False)),
                likely=tuple(p.lower() for p in _strings(spec.get("likely", ()))),
            )
        )
    negations = data.get("negations", {})
    words = _strings(negations.get("words", ())) if isinstance(negations, dict) else ()
    reading = data.get("reading", {})
    if not isinstance(reading, dict):
        problems.add("reading", "must be a table")
        reading = {}
    for key in sorted(set(reading) - set(_READING_LISTS)):
        if key in _RETIRED_LISTS:
            problems.add(
                f"reading.{key}",
                "is no longer read: a reply is asked back whenever a sentence is not on "
                "the closed lists, so no list of words to watch for is needed; remove it",
            )
            continue
        problems.add(f"reading.{key}", f"is not known; expected one of {', '.join(_READING_LISTS)}")

    def lower(key: str) -> tuple[str, ...]:
        return tuple(p.lower() for p in _strings(reading.get(key, ())))

    return Vocabulary(
        verbs=tuple(verbs),
        negations=tuple(w.lower() for w in words),
        greetings=lower("greetings"),
        harmless=lower("harmless"),
        remarks=lower("remarks"),
        retractions=lower("retractions"),
        requests=lower("requests"),
        question_openers=lower("question_openers"),
        contact_labels=lower("contact_labels"),
        signature_words=lower("signature_words"),
        field_names=field_names(fields),
    )


_READING_LISTS = (
    "greetings", "harmless", "remarks", "retractions", "requests", "contact_labels",
    "signature_words", "question_openers",
)  # fmt: skip
_RETIRED_LISTS = ("conditions", "doubts", "stems")


def _fields(data: Mapping[str, Any], problems: _Problems) -> dict[str, Field]:
    return {
        name: Field(
            name,
            str(spec.get("label", name.title())),
            str(spec.get("type", "text")),
            str(spec.get("unit", "")),
            str(spec.get("proposed_from", "")),
            _field_aliases(name, spec.get("names", []), problems),
        )
        for name, spec in _table(data, "fields", problems).items()
    }


# What the reader takes as the key of a "Key: value" line: a letter first, then up to
# four words (see decide_lines.py); a listed name it could never see would be dead.
_NAME = re.compile(r"[^\W\d_][\w-]*(?: [\w-]+){0,3}")


def _field_aliases(field: str, raw: Any, problems: _Problems) -> tuple[str, ...]:
    """The `names` of a field: a list of what people write before the colon for it."""
    key = f"fields.{field}.names"
    if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
        problems.add(key, f'must be a list of strings, e.g. ["price", "quote"]; got {raw!r}')
        return ()
    names: list[str] = []
    for name in (" ".join(n.split()).lower() for n in raw):
        if not _NAME.fullmatch(name) or len(name) > 40:
            problems.add(
                key,
                f"has {name!r}; a name is one to four words of letters, digits and "
                "hyphens, starting with a letter, at most 40 characters",
            )
        elif name not in names:
            names.append(name)
    return tuple(names)


def _stage(index: int, raw: Any, problems: _Problems) -> Stage:
    if not isinstance(raw, dict) or "name" not in raw:
        problems.add(f"stages[{index}]", "must be a table with a name")
        raw = {"name": f"#{index}"} if not isinstance(raw, dict) else {"name": f"#{index}", **raw}
    replies = []
    for j, r in enumerate(raw.get("replies", [])):
        if not isinstance(r, dict) or "verb" not in r:
            problems.add(f"stages[{index}].replies[{j}]", "must be a table with a verb")
            continue
        replies.append(
            Reply(
                verb=str(r["verb"]),
                to=str(r["to"]) if r.get("to") else None,
                fields=_strings(r.get("fields")),
                optional=_strings(r.get("optional")),
                attachment=bool(r.get("attachment", False)),
                reason=bool(r.get("reason", False)),
                notify=_strings(r.get("notify")),
            )
        )
    name = str(raw["name"])
    return Stage(
        name=name,
        title=str(raw.get("title", name)),
        actors=_strings(raw.get("actors")),
        act=str(raw.get("act", "any")),
        copy=_strings(raw.get("copy")),
        template=str(raw.get("template", f"request/{name}")),
        remind_hours=float(raw.get("remind_hours", 0) or 0),
        replies=tuple(replies),
        attach=_strings(raw.get("attach")),
        words=tuple(w.lower() for w in _strings(raw.get("words"))),
        approves=_strings(raw.get("approves")),
    )


def _command(index: int, raw: Any, problems: _Problems) -> Command:
    if not isinstance(raw, dict) or "verb" not in raw:
        problems.add(f"commands[{index}]", "must be a table with a verb")
        return Command(verb=f"#{index}", roles=(), effect="status")
    return Command(
        verb=str(raw["verb"]),
        roles=_strings(raw.get("roles")),
        effect=str(raw.get("effect", "")),
        to=str(raw["to"]) if raw.get("to") else None,
        reason=bool(raw.get("reason", False)),
    )
