"""An approval is of something: the figures it saw.

An executive who approved USD 9,600 did not approve USD 9,000. So each approval at a
stage that names the fields it `approves` keeps a copy of their values in the CR's
fields ("saw.<stage>"), and a later change to one of them (a reply, or a correction
from the command line) undoes every approval that saw the old value. The engine then
takes the CR back to the first of those stages and tells its approvers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mailflow.workflow.definition import Stage, Workflow

SAW = "saw."


def with_seen(stage: Stage, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields, with what an approval at this stage saw recorded beside them."""
    out = dict(fields)
    if stage.approves:
        out[SAW + stage.name] = {f: fields[f] for f in stage.approves if f in fields}
    return out


def undone(wf: Workflow, fields: Mapping[str, Any], new: Mapping[str, Any]) -> list[Stage]:
    """The stages whose recorded approval saw another value of a field in `new`, in order."""
    out = []
    for stage in wf.stages:
        saw = fields.get(SAW + stage.name)
        if isinstance(saw, Mapping) and any(k in saw and saw[k] != v for k, v in new.items()):
            out.append(stage)
    return out


def forget(fields: Mapping[str, Any], stages: list[Stage]) -> dict[str, Any]:
    """The fields without the approvals that no longer stand."""
    gone = {SAW + s.name for s in stages}
    return {k: v for k, v in fields.items() if k not in gone}
