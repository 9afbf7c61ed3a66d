"""Mails people read once: the wording rules every template keeps, checked mechanically.

Each rule comes from reading mailflow's mail as a new user: greeted by name, not by role;
no hint about <angle brackets> where there are none; one layout for a reply's details;
labels read back with their colons; no "Change request: Change request:"; waits in days
and hours; an HTML part that keeps the facts' table; and a copy written to the person who
gets it (the CSM's copy of a "Please confirm" says whom we asked and what we wait for).
"""

from __future__ import annotations

import email
import html
import re
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default

import pytest

from mailflow.mail.compose import Composer, html_of
from mailflow.mail.context import CrView, template_context
from mailflow.views.durations import duration_words
from tests.helpers import Desk
from tests.security.kit import walk_to
from tests.test_templates import _context, _env, _mail_templates, _workflow

ROLE_TITLES = sorted({role["title"] for role in _workflow()["roles"].values()}, key=len)
REP, CSM = "dana@acme.example", "priya@ft.example"
HOURS = re.compile(r"\b(\d+) hours?\b")


def _realistic(*, copied: bool = False) -> dict:
    """The shared sample context, its CR built the way mailflow builds it (template_context),
    with a title that already says what it is, as CSMs write them."""
    ctx = _context(full=True)
    sample = ctx["cr"]
    view = CrView(
        id=sample.id,
        title="Change request: Nightly SFTP export of settled orders",
        description=sample.description,
        account=sample.account,
        stage=sample.stage,
        stage_title=sample.stage_title,
        held=False,
        opened_by=sample.opened_by,
        created=sample.created,
        facts=sample.facts,
        attachments=sample.attachments,
    )
    built = template_context(view, ["Customer representative"], "cr@ft.example")
    ctx["cr"] = built["cr"]
    if copied:
        ctx["reader"] = {**ctx["reader"], "addressed": False, "copied": True,
                         "name": "Priya Nair", "address": CSM}  # fmt: skip
    return ctx


def _render(name: str, ctx: dict) -> tuple[str, str]:
    template = _env().get_template(name)
    return str(template.make_module(ctx).subject), template.render(ctx)


@pytest.mark.parametrize("copied", [False, True], ids=["addressed", "copied"])
@pytest.mark.parametrize("name", _mail_templates())
def test_every_template_keeps_the_wording_rules(name: str, copied: bool) -> None:
    subject, body = _render(name, _realistic(copied=copied))
    for title in ROLE_TITLES:
        assert f"Dear {title}" not in body, f"{name}: greets a role where names are known"
    assert "Change request: Change request" not in subject + "\n" + body, name
    for match in re.finditer(r"\(fill in", body):
        assert "<" in body[match.end() :], f"{name}: a hint about placeholders there are none of"
    for hours in HOURS.findall(body):
        assert int(hours) <= 48, f"{name}: {hours} hours, not in days"


@pytest.mark.parametrize("name", _mail_templates())
def test_no_placeholder_hint_without_placeholders(name: str) -> None:
    """A stage whose replies have nothing to fill in (DevOps: DEPLOYED) gets no such hint."""
    _, body = _render(name, _realistic() | {"expected": ["DEPLOYED"]})
    assert "(fill in" not in body, name


def test_field_lists_have_one_layout_in_requests_and_answers() -> None:
    """The details a reply needs are shown one per line wherever replies are listed."""
    needing = [n for n in _mail_templates() if n.startswith(("request/", "explain/"))]
    shown = 0
    for name in needing:
        _, body = _render(name, _realistic())
        lines = body.splitlines()
        if "    Approach: <some text>" not in lines:
            assert "Approach: <some text>" not in body, f"{name}: details on one line"
            continue
        shown += 1
        at = lines.index("    Approach: <some text>")
        assert lines[at - 1] == "  DONE", name
        assert lines[at + 1].startswith("    Effort: <a number") and not any(
            "Approach:" in line and "Effort:" in line for line in lines
        ), name
    assert shown >= 19, "every request and the answers that list the replies"


def test_a_copy_of_a_reminder_asks_nothing_of_the_person_copied() -> None:
    _, addressed = _render("notice/reminder.txt", _realistic())
    _, copied = _render("notice/reminder.txt", _realistic(copied=True))
    assert "waiting\nfor your reply" in addressed and "How to reply" in addressed
    assert "for a reply from Dana Whitfield and Amardeep" in copied
    assert "your reply" not in copied and "How to reply" not in copied


def test_waits_are_said_in_days_and_hours() -> None:
    assert duration_words(timedelta(hours=120)) == "5 days"
    assert duration_words(timedelta(hours=30)) == "1 day and 6 hours"
    assert duration_words(timedelta(hours=3)) == "3 hours"
    for name in ("notice/reminder.txt", "notice/escalation.txt"):
        _, body = _render(name, _realistic() | {"waited": duration_words(timedelta(hours=120))})
        assert "5 days" in body and not HOURS.search(body), name


def _words(text: str) -> list[str]:
    """The words, without the marks the HTML says with structure (a list's dash, a quote's >)."""
    return [w for w in html.unescape(text).split() if w not in ("-", ">")]


@pytest.mark.parametrize("name", [n for n in _mail_templates() if not n.startswith("notice/dig")])
def test_the_html_part_keeps_the_structure_and_says_the_same(name: str) -> None:
    ctx = _realistic()
    ctx["cr"]["description"] = "Export <b>all</b> orders & refunds.\n\n<script>alert(1)</script>"
    composer = Composer("approvals@ft.example", "FT", "ft.example")
    _, text, part = composer.render(name.removesuffix(".txt"), ctx)
    if "About this change request" in text:
        assert "<table" in part or "<dl" in part, f"{name}: the facts lost their structure"
        assert "<th" in part and ">Reference:</th>" in part
    assert "<script" not in part and "<b>" not in part, f"{name}: markup from a person"
    assert "<style" not in part and 'style="' in part, "the stylesheet is inlined"
    shown = re.sub(r"<[^>]+>", " ", part.split("<body", 1)[1].split(">", 1)[1])
    assert _words(shown) == _words(text), f"{name}: text and HTML say different things"


def test_html_lists_quotes_and_indented_lines() -> None:
    text = (
        "Please write:\n  - the interfaces\n  - the schemas\n\n"
        "We read:\n  > Approved <b>now</b>\n\nThanks for\n  Nightly export\n"
    )
    part = html_of(text)
    assert part.count("<li") == 2 and "<blockquote" in part and 'class="indent"' in part
    assert "&lt;b&gt;now&lt;/b&gt;" in part


# --- through the pipeline: the mails people actually get ---------------------------------


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    d = Desk(tmp_path_factory.mktemp("wording"))
    d.cr_id = walk_to(d, "customer_approval")  # type: ignore[attr-defined]
    yield d
    d.close()


def _mails(desk: Desk, template: str) -> list[EmailMessage]:
    rows = [r for r in desk.outbox(desk.cr_id) if r.template == template]  # type: ignore[attr-defined]
    return [email.message_from_bytes(r.data, policy=default) for r in rows]  # type: ignore[misc]


def _text(msg: EmailMessage) -> str:
    return str(msg.get_body(("plain",)).get_content()).replace("\r\n", "\n")


def test_each_copy_greets_the_people_on_its_to_line_by_name(desk: Desk) -> None:
    copies = {tuple(m["To"].addresses[i].addr_spec for i in range(len(m["To"].addresses))):
              _text(m).splitlines()[0] for m in _mails(desk, "request/in_principle")}  # fmt: skip
    assert copies == {
        (REP,): "Dear Dana Whitfield,",
        (REP, "amardeep@ft.example"): "Dear Dana Whitfield and Amardeep,",
    }


def test_read_backs_have_their_labels_colons(desk: Desk) -> None:
    bodies = [_text(m) for m in _mails(desk, "notice/accepted")]
    recorded = [b.split("Recorded:\n", 1)[1].split("\n\n")[0] for b in bodies if "Recorded:" in b]
    lines = [line.strip() for block in recorded for line in block.splitlines()]
    assert "Effort: 12 person-days" in lines
    for line in lines:
        assert re.match(r"[A-Z][\w ]*: ", line), f"a label without its colon: {line!r}"


def test_the_csms_copy_of_a_please_confirm_is_written_to_the_csm(desk: Desk) -> None:
    start = len(desk.outbox())
    desk.send(desk.mail(REP, f"[{desk.cr_id}] approval", "Approved"))  # type: ignore[attr-defined]
    assert [r.template for r in desk.outbox()[start:]] == ["explain/confirm_author"] * 2
    sent = {r.recipients[0]: email.message_from_bytes(r.data, policy=default)
            for r in desk.outbox()[start:]}  # fmt: skip
    customer, csm = _text(sent[REP]), _text(sent[CSM])  # type: ignore[arg-type]
    assert "we ask you once to confirm that it is yours" in customer
    assert customer.startswith("Hello Dana Whitfield,")
    assert csm.startswith("Hello Priya Nair,")
    assert "Dana Whitfield" in csm, "the CSM is told whom mailflow asked"
    assert "waiting for Dana Whitfield to reply" in csm and "CONFIRM" in csm
    assert "ask you" not in csm and "your Customer Success Manager" not in csm
    assert "Dana Whitfield" in str(sent[CSM]["Subject"])


def test_the_answer_to_a_bad_figure_quotes_its_line(tmp_path) -> None:
    d = Desk(tmp_path)
    try:
        cr_id = walk_to(d, "costing")
        d.say(CSM, cr_id, "DONE\nCost: 9600 or 9800")
        answer = _text(d.last_mail_to(CSM, cr_id))  # type: ignore[arg-type]
        assert "Cost: 9600 or 9800" in answer.split("read from your mail:", 1)[1]
    finally:
        d.close()
