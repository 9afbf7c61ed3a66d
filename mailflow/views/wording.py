"""How the record of a CR is worded for people: roles by their titles, and which fields
were given when it was opened. Pure, for every view that shows a timeline or fields."""

from __future__ import annotations

import re

from mailflow.workflow.definition import Workflow

_ROLE_NAMED = re.compile(r"\(([a-z][a-z0-9_]*)\)")


def roles_titled(wf: Workflow, detail: str) -> str:
    """A timeline line with each "(role)" the record names written as the role's title:
    the record keeps the workflow's key, a reader sees "(Integration team)"."""
    return _ROLE_NAMED.sub(
        lambda m: f"({wf.roles[m[1]].title})" if m[1] in wf.roles else m[0], detail
    )


def opening_fields(wf: Workflow) -> set[str]:
    """Fields given when a CR is opened (title, customer…), shown apart from later facts."""
    stage = wf.stage(wf.start)
    return {f for r in (stage.replies if stage else ()) for f in (*r.fields, *r.optional)}
