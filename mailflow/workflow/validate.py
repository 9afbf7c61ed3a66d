"""Check a loaded workflow for every broken reference, so a bad file fails at load time.

Unknown roles, verbs, fields, stages and templates, stages no reply can reach, and
values outside their allowed set are all reported together, each with its key.
"""

from __future__ import annotations

from collections.abc import Callable

from mailflow.workflow.model import (
    ANYONE,
    COMMAND_EFFECTS,
    FIELD_TYPES,
    ROLE_SCOPES,
    Stage,
    Workflow,
    key_words,
)

Report = Callable[[str, str], None]


def check(wf: Workflow, bad: Report, template_exists: Callable[[str], bool] | None) -> None:
    """Call `bad(key, message)` once for each problem found."""
    for role in wf.roles.values():
        if role.scope not in ROLE_SCOPES:
            bad(f"roles.{role.name}.scope", f"is {role.scope!r}; expected one of {ROLE_SCOPES}")
    for f in wf.fields.values():
        if f.type not in FIELD_TYPES:
            bad(f"fields.{f.name}.type", f"is {f.type!r}; expected one of {FIELD_TYPES}")
        if f.proposed_from and f.proposed_from not in wf.fields:
            bad(f"fields.{f.name}.proposed_from", f"names unknown field {f.proposed_from!r}")
    _check_field_names(wf, bad)
    if wf.stage(wf.start) is None:
        bad("start", f"names {wf.start!r}, which is not a stage")
    seen: set[str] = set()
    for i, stage in enumerate(wf.stages):
        where = f"stages[{i}] ({stage.name})"
        if stage.name in seen or stage.name in wf.ends:
            bad(where, "the name is used twice")
        seen.add(stage.name)
        _check_stage(wf, stage, where, bad)
    for i, command in enumerate(wf.commands):
        where = f"commands[{i}] ({command.verb})"
        if wf.verb(command.verb) is None:
            bad(where, "uses a verb missing from [verbs]")
        if command.effect not in COMMAND_EFFECTS:
            bad(f"{where}.effect", f"is {command.effect!r}; expected one of {COMMAND_EFFECTS}")
        if command.effect == "end" and command.to not in wf.ends:
            bad(f"{where}.to", f"must name an end state, not {command.to!r}")
        for role_name in command.roles:
            if role_name != ANYONE and role_name not in wf.roles:
                bad(where, f"names the unknown role {role_name!r}")
    for key, names in (
        ("informed", wf.informed),
        ("escalate_to", wf.escalate_to),
        ("correctors", wf.correctors),
        ("thread_owners", wf.thread_owners),
        ("external", wf.external),
        ("confirm_by_mail", wf.confirm_by_mail),
        ("escalate_instead", wf.escalate_instead),
        ("digest_waiting", wf.digest_waiting),
    ):
        for role_name in names:
            if role_name not in wf.roles:
                bad(key, f"names the unknown role {role_name!r}")
    _check_reachable(wf, bad)
    if template_exists is not None:
        for name in wf.templates():
            if not template_exists(name):
                bad("template", f"{name!r} was not found in the template folders")


def _check_stage(wf: Workflow, stage: Stage, where: str, bad: Report) -> None:
    states = {s.name for s in wf.stages} | set(wf.ends)
    for role_name in (*stage.actors, *stage.copy):
        if role_name not in wf.roles:
            bad(where, f"names the unknown role {role_name!r}")
    if not stage.actors:
        bad(f"{where}.actors", "is empty; someone must act at every stage")
    if stage.act not in ("any", "all"):
        bad(f"{where}.act", f"is {stage.act!r}; expected 'any' or 'all'")
    for reply in stage.replies:
        at = f"{where}.replies ({reply.verb})"
        if wf.verb(reply.verb) is None:
            bad(f"{where}.replies", f"uses the unknown verb {reply.verb!r}")
        if reply.to is not None and reply.to not in states:
            bad(at, f"leads to unknown stage {reply.to!r}")
        for name in (*reply.fields, *reply.optional):
            if name not in wf.fields:
                bad(at, f"names unknown field {name!r}")
        for role_name in reply.notify:
            if role_name not in wf.roles:
                bad(at, f"notifies unknown role {role_name!r}")
    for name in stage.attach:
        source = wf.stage(name)
        if source is None or not any(r.attachment for r in source.replies):
            bad(f"{where}.attach", f"names {name!r}, which is not a stage that receives a document")


def _check_field_names(wf: Workflow, bad: Report) -> None:
    """A reply's "Key:" must lead to one field: no name, label or listed name is shared."""
    owner: dict[str, str] = {}
    for f in wf.fields.values():
        for written in dict.fromkeys(f.all_names()):
            key = key_words(written)
            other = owner.setdefault(key, f.name)
            if other != f.name:
                where = "names" if written in f.names else "label"
                bad(
                    f"fields.{f.name}.{where}",
                    f"has {written!r}, which is already a name of fields.{other}; "
                    "a name may belong to one field only",
                )


def _check_reachable(wf: Workflow, bad: Report) -> None:
    reached: set[str] = set()
    todo = [wf.start]
    while todo:
        name = todo.pop()
        stage = wf.stage(name)
        if name in reached or stage is None:
            continue
        reached.add(name)
        todo.extend(r.to for r in stage.replies if r.to)
    for stage in wf.stages:
        if stage.name not in reached:
            bad(f"stages ({stage.name})", f"cannot be reached from the start stage {wf.start!r}")
