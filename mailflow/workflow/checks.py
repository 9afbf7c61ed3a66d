"""What a reply must carry at a stage: its reason, its typed fields, its file; checked purely.

Every field is read whole by the account's conventions (fields.py); a form readable two
ways comes back as a question listing the readings, and a cost far from the proposal comes
back with both figures. The values that pass are returned with their read-back, the lines
the acknowledgment shows, so the sender sees exactly what was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from mailflow.workflow.conventions import Conventions
from mailflow.workflow.definition import Reply, Workflow
from mailflow.workflow.fields import FieldError, expected, read_value, show
from mailflow.workflow.plausible import far_from, proposal

# Where a figure asked back for being far from its proposal is remembered, so that the
# same figure sent again at the same stage is recorded as meant.
UNUSUAL = "{}.unusual"


@dataclass(frozen=True)
class Checked:
    """The outcome: a problem (refusal reason, detail, mail context) or the values."""

    problem: tuple[str, str, dict[str, Any]] | None = None
    values: dict[str, Any] = field(default_factory=dict)
    recorded: tuple[str, ...] = ()
    remember: dict[str, Any] = field(default_factory=dict)


def check_reply(
    wf: Workflow,
    fields: dict[str, Any],
    conv: Conventions,
    reply: Reply,
    said_text: str,
    said_fields: dict[str, str],
    attachments: int,
    now: datetime,
    entered_at: datetime,
) -> Checked:
    """Read and check what a reply carries; the CR's current fields give the context."""
    if reply.reason and not said_text:
        detail = f"{reply.verb} needs a reason after it, e.g. '{reply.verb} the cost is too high'"
        return Checked(("missing_reason", detail, {}))
    given = _by_field(wf, reply, said_fields)
    if isinstance(given, Checked):
        return given
    stray = _stray_field(wf, reply, given)
    if stray is not None:
        return stray
    read = _read_fields(wf, conv, reply, given, now)
    if read.problem is not None:
        return read
    if reply.attachment and attachments == 0:
        return Checked(("missing_attachment", f"{reply.verb} needs the document attached", {}))
    return _plausible(wf, fields, conv, read, entered_at)


def _by_field(wf: Workflow, reply: Reply, said_fields: dict[str, str]) -> dict[str, str] | Checked:
    """The reply's `Key: value` lines by the field each key names ("Price:" is Cost);
    keys that name no field are left to the reader. A field the reply records, or any
    field beside a yes, given two different values under two names ("Cost: 5,000" and
    "Price: 6,000") is asked back."""
    spec = wf.verb(reply.verb)
    watched = {*reply.fields, *reply.optional}
    if spec is not None and spec.affirmative:
        watched = set(wf.fields)
    given: dict[str, str] = {}
    written: dict[str, str] = {}
    for key, value in said_fields.items():
        name = wf.field_for(key)
        if name is None:
            continue
        if (
            name in given
            and name in watched
            and " ".join(given[name].split()) != " ".join(value.split())
        ):
            label = wf.fields[name].label
            detail = (
                f"your reply gives the {label.lower()} twice, '{written[name]}: {given[name]}' "
                f"and '{key}: {value}'; reply with one '{label}:' line"
            )
            return Checked(("bad_field", detail, {}))
        given.setdefault(name, value)
        written.setdefault(name, key)
    return given


def _stray_field(wf: Workflow, reply: Reply, given: dict[str, str]) -> Checked | None:
    """A yes that also carries a figure this step does not take ("Approved / Cost: 5,000")
    may be a condition in disguise: it is asked back, never recorded without the figure."""
    spec = wf.verb(reply.verb)
    if spec is None or not spec.affirmative:
        return None
    taken = {*reply.fields, *reply.optional}
    for name, value in given.items():
        if name in taken:
            continue
        label = wf.fields[name].label
        detail = (
            f"your reply also says '{label}: {value}', which this step does not record, so it "
            f"may change what {reply.verb} means. If {reply.verb} is your whole answer, reply "
            f"with just {reply.verb}; a change to the {label.lower()} goes to the CSM"
        )
        return Checked(("bad_field", detail, {}))
    return None


def _read_fields(
    wf: Workflow, conv: Conventions, reply: Reply, given: dict[str, str], now: datetime
) -> Checked:
    """Each field the reply must or may carry, read whole, with its read-back line."""
    values: dict[str, Any] = {}
    recorded: list[str] = []
    for name in (*reply.fields, *reply.optional):
        spec = wf.fields[name]
        raw = given.get(name)
        if raw is None or (not raw.strip() and name not in reply.fields):
            if name in reply.fields:
                detail = f"{reply.verb} needs a line '{spec.label}: <{expected(spec)}>'"
                return Checked(("missing_field", detail, {}))
            continue
        try:
            read = read_value(spec, raw, conv, now.date())
        except FieldError as exc:
            context: dict[str, Any] = {
                "readings": [f"{spec.label}: {r}" for r in exc.readings],
                "quoted": f"{spec.label}: {raw.strip()}",  # the line in doubt, not the verb
            }
            return Checked(("bad_field", str(exc), context))
        values[name] = read.value
        shown = show(read.value, spec, conv)
        recorded.append(f"{spec.label}: {shown}" + (f" ({read.note})" if read.note else ""))
    return Checked(values=values, recorded=tuple(recorded))


def _plausible(
    wf: Workflow, fields: dict[str, Any], conv: Conventions, read: Checked, entered_at: datetime
) -> Checked:
    """A figure far from its proposal is asked back once, with both figures."""
    merged = {**fields, **read.values}
    recorded = list(read.recorded)
    for name, value in read.values.items():
        spec = wf.fields[name]
        offer = proposal(wf, merged, conv, spec)
        if offer is None or not isinstance(value, dict):
            continue
        recorded.append(f"Proposed: {offer.equation}")
        note = {"value": value, "stage_entered": entered_at.isoformat()}
        far = far_from(Decimal(value["amount"]), offer.amount, conv.cost_check_factor)
        if not far or fields.get(UNUSUAL.format(name)) == note:
            continue
        shown = show(value, spec, conv)
        factor = f"{conv.cost_check_factor.normalize():f}"
        detail = (
            f"{spec.label} {shown} is more than {factor} times away from the proposal, "
            f"{offer.equation}"
        )
        context = {"confirm_by_repeating": True, "figure": f"{spec.label}: {shown}"}
        return Checked(("bad_field", detail, context), remember={UNUSUAL.format(name): note})
    return Checked(values=read.values, recorded=tuple(recorded))
