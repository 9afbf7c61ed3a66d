"""Loading a workflow file: the built-in one is valid, a broken one names every problem."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from mailflow.errors import ConfigError
from mailflow.workflow.definition import build_workflow, load_workflow

BUILTIN = tomllib.loads(
    resources.files("mailflow.workflow").joinpath("change_request.toml").read_text("utf-8")
)


def problems_of(data: dict, **kwargs) -> list[str]:
    with pytest.raises(ConfigError) as err:
        build_workflow(data, "wf.toml", **kwargs)
    return err.value.problems


def test_builtin_workflow_is_valid_and_complete():
    wf = load_workflow()
    assert len(wf.stages) == 19 and wf.start == wf.stages[0].name
    for stage in wf.stages:
        assert stage.actors and stage.replies and stage.template


def test_every_stage_is_reachable_and_every_reply_leads_somewhere_known():
    wf = load_workflow()
    states = {s.name for s in wf.stages} | set(wf.ends)
    assert all(r.to in states for s in wf.stages for r in s.replies if r.to)


def test_unknown_stage_in_a_transition_is_named():
    data = copy.deepcopy(BUILTIN)
    data["stages"][1]["replies"][0]["to"] = "nowhere"
    problems = problems_of(data)
    assert any(
        "stages[1] (triage).replies (IS CR) leads to unknown stage 'nowhere'" in p for p in problems
    )
    assert all(p.startswith("wf.toml: ") for p in problems)


def test_unreachable_stage_unknown_role_and_missing_template_are_all_reported():
    data = copy.deepcopy(BUILTIN)
    data["stages"].append(
        {"name": "orphan", "actors": ["wizard"], "replies": [{"verb": "DONE", "to": "closed"}]}
    )
    problems = problems_of(
        data, template_exists=lambda name: name not in ("request/costing", "request/orphan")
    )
    text = "\n".join(problems)
    assert "stages (orphan) cannot be reached" in text
    assert "names the unknown role 'wizard'" in text
    assert "'request/orphan' was not found" in text
    assert "'request/costing' was not found" in text
    assert len(problems) >= 4


def test_unknown_verb_field_and_type_are_reported():
    data = copy.deepcopy(BUILTIN)
    data["stages"][5]["replies"][0]["verb"] = "MAYBE"
    data["stages"][4]["replies"][0]["fields"] = ["approach", "colour"]
    data["fields"]["effort"]["type"] = "banana"
    text = "\n".join(problems_of(data))
    assert "unknown verb 'MAYBE'" in text
    assert "unknown field 'colour'" in text
    assert "fields.effort.type is 'banana'" in text


def test_a_workflow_file_on_disk_is_validated(tmp_path: Path):
    path = tmp_path / "wf.toml"
    path.write_text("name = 'x'\n[[stages]]\nname = 'a'\nactors = []\n")
    with pytest.raises(ConfigError) as err:
        load_workflow(path)
    assert any(str(path) in p and "actors is empty" in p for p in err.value.problems)
    path.write_text("not toml [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_workflow(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_workflow(tmp_path / "missing.toml")


def test_an_alternative_workflow_replaces_the_process_without_code(tmp_path: Path):
    """A two-stage process: the engine runs it as it runs the built-in one."""
    from datetime import UTC, datetime

    from mailflow.workflow import engine

    path = tmp_path / "mini.toml"
    path.write_text("""
name = "mini"
start = "ask"
[roles.boss]
scope = "global"
[verbs.OPEN]
phrases = []
affirmative = true
[verbs.OK]
phrases = ["ok", "okay"]
affirmative = true
[[stages]]
name = "ask"
actors = ["boss"]
replies = [{ verb = "OPEN", to = "sign" }]
[[stages]]
name = "sign"
actors = ["boss"]
replies = [{ verb = "OK", to = "done" }]
[ends.done]
title = "Done"
""")
    wf = load_workflow(path)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    boss = engine.Actor("b@x.example", frozenset({"boss"}))
    opened = engine.start(wf, boss, engine.Said("OPEN"), now)
    assert opened.state.stage == "sign"
    assert engine.apply(wf, opened.state, boss, engine.Said("OK"), now).state.stage == "done"
