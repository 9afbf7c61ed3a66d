"""The mail templates: every one renders, sets a subject and reads cleanly as plain text."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from mailflow.workflow.reasons import Question, Refusal

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
WORKFLOW = ROOT / "mailflow" / "workflow" / "change_request.toml"

# Every reason a reply is refused or asked back names its template (mailflow.workflow.reasons).
EXPLAIN_REASONS = sorted({r.template.removeprefix("explain/") for r in (*Refusal, *Question)})
NOTICES = [
    "digest_csm",
    "digest_executive",
    "accepted",
    "vote_recorded",
    "update",
    "reminder",
    "escalation",
    "command",
    "status",
    "closed",
    "rejected",
    "not_a_cr",
    "cancelled",
    "no_cr",
    "opened",
]


def _workflow() -> dict:
    with WORKFLOW.open("rb") as fh:
        return tomllib.load(fh)


STAGES = [stage["name"] for stage in _workflow()["stages"]]


def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )


def _mail_templates() -> list[str]:
    return sorted(
        path.relative_to(TEMPLATES).as_posix()
        for path in TEMPLATES.rglob("*.txt")
        if path.relative_to(TEMPLATES).parts[0] != "partials"
    )


EXPECTED = [
    "APPROVED",
    "REJECTED <reason>",
    "DONE  Approach: <some text>  Effort: <a number, e.g. 12 or 12.5 (person-days)>"
    "  Timeline: <some text>",
    "DONE  (with the document attached)",
]


# The sample CR's own clock: every date and its id are derived from the moment it opened.
OPENED = datetime(2026, 3, 2, 9, 14, tzinfo=UTC)


def _at(days: int, hours: float = 0) -> str:
    return (OPENED + timedelta(days=days, hours=hours)).strftime("%Y-%m-%d %H:%M")


def _context(full: bool = True) -> dict:
    """Every variable a template may see; `full=False` leaves lists and optionals empty."""
    history = [
        SimpleNamespace(at=_at(0), kind="transition", detail="Requested → Triage"),
        SimpleNamespace(
            at=_at(1, 1.8),
            kind="decision",
            detail="amardeep@ft.example (executive): REJECTED — too costly",
        ),
        SimpleNamespace(
            at=_at(2, 7.4),
            kind="command",
            detail="csm@ft.example: CANCEL — customer withdrew",
        ),
    ]
    cr = SimpleNamespace(
        id=f"CR-{OPENED.year}-0042",
        title="Nightly SFTP export of settled orders",
        description=(
            "Acme wants a nightly SFTP export of all settled orders as CSV, including "
            "refunds, so that their finance team can reconcile without logging in.\n\n"
            "Files must arrive by 06:00 CET."
        )
        if full
        else "",
        account="Acme Retail",
        stage="executive_approval",
        stage_title="Executive approval",
        held=full,
        facts=[("Effort", "12 person-days"), ("Cost", "USD 9600.00"), ("Jira", "")] if full else [],
        attachments=["CR-document.docx", "api-v2.pdf"] if full else [],
        opened_by="priya.csm@ft.example",
        created=f"{OPENED:%Y-%m-%d}",
    )
    ctx: dict = {
        "cr": cr,
        "digest": _digest(cr, full),
        "expected": list(EXPECTED) if full else [],
        "roles": "Customer representative and Executive",
        # whom a copy greets and is for (cr_view.reader_context): the people on its To line
        "greeting": "Dana Whitfield and Amardeep" if full else "Customer representative",
        "named": full,
        "reader": {
            "addressed": True,
            "copied": False,
            "name": "Dana Whitfield" if full else "",
            "address": "dana@acme.example" if full else "",
            "to": "Dana Whitfield and Amardeep" if full else "",
            "to_addresses": ["dana@acme.example", "amardeep@ft.example"] if full else [],
        },
        "labels": ["Cost", "Jira", "Effort", "Timeline"],
        "shared_inbox": "cr@ft.example",
        "product": "mailflow",
        "history": history if full else [],
    }
    if full:
        ctx.update(
            proposed_cost="USD 9600.00 (12 person-days × USD 800.00/day)",
            reminder_note="This replaces the request sent on 2 March.",
            verb="APPROVED",
            text="Export job written; now testing against the staging SFTP server.",
            next="Customer approval",
            waiting="Executive",
            count=2,
            waiting_hours=96,
            waited="4 days",
            recorded=["Effort 12 person-days", "Timeline 3 weeks"],
            level=1,
            autoreplies=["amardeep@ft.example is out of office: Back on 10 March"],
            sender="someone@acme.example",
            detail="APPROVED needs a line 'Cost: <an amount>'",
            quoted="Approved, but please check the timeline",
        )
    return ctx


def _digest(cr: SimpleNamespace, full: bool) -> dict:
    """A weekly digest's words (service/digest_mail.py); sparse: nothing open, nothing new."""
    row = SimpleNamespace(
        id=cr.id,
        title=cr.title,
        account=cr.account,
        stage=cr.stage_title,
        held=False,
        waits_on="Executive (amardeep@ft.example)",
        since=f"{OPENED:%Y-%m-%d}",
        waited="9 days",
        overdue=True,
    )
    changes = SimpleNamespace(
        id=cr.id,
        title=cr.title,
        lines=[
            "Mon 02 Mar: moved: Triage → Executive approval",
            "Tue 03 Mar: dana@acme.example: APPROVED (at Customer approval)",
            "Wed 04 Mar: a mail from someone@else.example was not recorded",
        ],
    )
    return {
        "name": "Priya Nair",
        "date": f"{OPENED + timedelta(days=7):%A %-d %B %Y}",
        "open": [row] if full else [],
        "overdue": [row] if full else [],
        "changes": [changes] if full else [],
    }


def _render(name: str, ctx: dict) -> tuple[str, str]:
    template = _env().get_template(name)
    subject = template.make_module(ctx).subject
    return subject, template.render(ctx)


def _check_layout(name: str, body: str) -> None:
    assert body.strip(), name
    assert "\n\n\n" not in body, f"{name}: a run of blank lines"
    for number, line in enumerate(body.splitlines(), 1):
        assert line == line.rstrip(), f"{name}:{number}: trailing whitespace: {line!r}"
    assert not body.startswith("\n"), f"{name}: starts with a blank line"
    assert "<html" not in body.lower() and "<br" not in body.lower(), name


def test_every_needed_template_exists() -> None:
    names = set(_mail_templates())
    needed = {f"request/{s}.txt" for s in STAGES}
    needed |= {f"notice/{n}.txt" for n in NOTICES}
    needed |= {f"explain/{r}.txt" for r in EXPLAIN_REASONS}
    assert needed <= names, sorted(needed - names)


def test_every_explanation_answers_a_named_reason() -> None:
    """No explain/ template is left that no refusal or question names."""
    present = {p.stem for p in (TEMPLATES / "explain").glob("*.txt")}
    assert present == set(EXPLAIN_REASONS), sorted(present ^ set(EXPLAIN_REASONS))


def test_workflow_templates_exist() -> None:
    data = _workflow()
    named = [stage["template"] for stage in data["stages"]]
    named += [end["template"] for end in data["ends"].values()]
    assert len(named) == len(data["stages"]) + len(data["ends"])
    for name in named:
        assert (TEMPLATES / f"{name}.txt").is_file(), name


@pytest.mark.parametrize("name", _mail_templates())
def test_template_renders_full(name: str) -> None:
    ctx = _context(full=True)
    subject, body = _render(name, ctx)
    assert isinstance(subject, str) and subject.strip(), name
    assert "\n" not in subject and "[CR-" not in subject, name
    assert ctx["cr"].id in body or ctx["cr"].title in body, name
    _check_layout(name, body)
    assert body.rstrip().endswith(f"Replies go to {ctx['shared_inbox']}."), name
    if name.startswith("request/"):
        for entry in ctx["expected"]:  # each part on a line of its own
            for part in entry.replace("  (", " (").split("  "):
                assert f"\n  {part}\n" in body or f"\n    {part}\n" in body, (name, part)
        assert "Effort:     12 person-days" in body
    if name == "request/costing.txt":
        assert ctx["proposed_cost"] in body
    if name.startswith("explain/") and name != "explain/unknown_cr.txt":
        assert ctx["quoted"] in body, name


@pytest.mark.parametrize("name", _mail_templates())
def test_template_renders_sparse(name: str) -> None:
    """Only the variables every template gets, with empty lists: still clean output."""
    ctx = _context(full=False)
    if name in {"notice/accepted.txt", "notice/vote_recorded.txt", "notice/command.txt"}:
        ctx["verb"] = "HOLD" if name == "notice/command.txt" else "APPROVED"
    if name == "notice/update.txt":
        ctx["text"] = "Halfway there."
    subject, body = _render(name, ctx)
    assert subject.strip(), name
    if name.startswith("notice/digest_"):  # a digest with nothing to list names no CR
        assert ctx["digest"]["name"] in body and ctx["cr"].id not in body, name
    else:
        assert ctx["cr"].id in body or ctx["cr"].title in body, name
    _check_layout(name, body)


@pytest.mark.parametrize("name", ["notice/no_cr.txt", "explain/unknown_cr.txt"])
def test_mails_without_a_cr(name: str) -> None:
    ctx = _context(full=True)
    del ctx["cr"]
    subject, body = _render(name, ctx)
    assert subject.strip()
    _check_layout(name, body)
    assert "[CR-...]" in body


def test_request_shows_multiline_reply_layout() -> None:
    _, body = _render("request/impact_analysis.txt", _context(full=True))
    lines = [line.strip() for line in body.splitlines()]
    start = lines.index("DONE")
    assert lines[start + 1] == "Approach: <some text>"
    assert lines[start + 2].startswith("Effort: <a number")


@pytest.mark.parametrize("verb", ["HOLD", "RESUME", "CANCEL"])
def test_command_subjects(verb: str) -> None:
    ctx = _context(full=True) | {"verb": verb}
    subject, body = _render("notice/command.txt", ctx)
    assert subject.endswith(ctx["cr"].title)
    assert subject.split(":")[0] in {"On hold", "Resumed", "Cancelled"}
    _check_layout("notice/command.txt", body)
