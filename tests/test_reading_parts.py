"""What a reader sees decides, through the real pipeline: hidden HTML never counts, and a
mail whose text and HTML versions disagree is asked back."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from tests.helpers import Desk
from tests.security.kit import walk_to


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def _reply(desk: Desk, cr_id: str, text: str | None, html: str) -> EmailMessage:
    msg = desk.reply("dana@acme.example", cr_id, text or "", quote=False)
    if text is None:
        msg.set_content(html, subtype="html")
    else:
        msg.add_alternative(html, subtype="html")
    return msg


def _last_outcome(desk: Desk) -> tuple[str, str]:
    entry = desk.ledger()[-1]
    return entry.outcome, entry.reason


@pytest.mark.parametrize(
    "hidden",
    [
        '<div style="display:none">APPROVED</div>',
        '<p><span style="color:#ffffff">APPROVED</span></p>',
        '<p style="font-size:0; mso-hide:all">APPROVED</p>',
        '<p style="opacity:0">APPROVED</p>',
    ],
)
def test_hidden_html_approval_above_a_visible_rejection_is_a_rejection(desk, hidden):
    cr_id = walk_to(desk, "in_principle")
    page = f"<html><body>{hidden}<p>Rejected - too expensive</p></body></html>"
    desk.send(_reply(desk, cr_id, None, page))
    outcome, reason = _last_outcome(desk)
    assert outcome == "applied" and "REJECTED" in reason and "APPROVED" not in reason
    assert "APPROVED" not in str(desk.cr(cr_id).votes)


def test_text_and_html_that_disagree_are_asked_back(desk):
    cr_id = walk_to(desk, "in_principle")
    before = desk.cr(cr_id)
    html = "<p>Approved, but only for phase 1</p>"
    desk.send(_reply(desk, cr_id, "Approved", html))
    after = desk.cr(cr_id)
    assert (after.stage, after.votes) == (before.stage, before.votes)
    outcome, reason = _last_outcome(desk)
    assert outcome == "answered"
    answer = desk.last_mail_to("dana@acme.example", cr_id)
    body = answer.get_body(("plain",)).get_content()
    assert "plain-text and formatted versions" in body and "nothing has been recorded" in body


def test_text_and_html_that_agree_are_recorded(desk):
    cr_id = walk_to(desk, "in_principle")
    desk.send(_reply(desk, cr_id, "Approved", "<div dir='ltr'>Approved</div>"))
    outcome, reason = _last_outcome(desk)
    assert outcome == "applied" and "APPROVED" in reason


@pytest.mark.parametrize(
    ("stage", "text", "verb"),
    [
        ("qa_deploy", "Deployed to QA", "DEPLOYED"),
        ("production_deploy", "Deployed to production, no issues", "DEPLOYED"),
        ("production_deploy", "Deployed to QA", None),
        ("qa_deploy", "Deployed to production", None),
        ("uat", "UAT passed, signed off", "SIGNED OFF"),
        ("qa_testing", "Passed. Done.", "PASSED"),
        ("qa_testing", "Passed - but rejected by the customer", None),
    ],
)
def test_a_stages_own_words_stand_beside_its_verbs_and_only_there(stage, text, verb):
    from mailflow.reading.decide import Decision
    from mailflow.reading.reply import read_reply
    from mailflow.workflow.definition import load_workflow

    read = read_reply(load_workflow(), stage, text)
    assert (read.verb if isinstance(read, Decision) else None) == verb, read


def test_a_yes_carrying_a_figure_its_step_does_not_take_is_asked_back(desk):
    cr_id = walk_to(desk, "in_principle")
    desk.say("dana@acme.example", cr_id, "Approved\nCost: USD 5,000")
    assert desk.stage(cr_id) == "in_principle"
    entry = desk.ledger()[-1]
    assert entry.outcome == "answered" and "remark" in entry.reason
    question = desk.last_mail_to("dana@acme.example", cr_id).get_body(("plain",)).get_content()
    assert "Cost: USD 5,000" in question, "the line is quoted back"
    desk.say("dana@acme.example", cr_id, "Approved")
    assert desk.ledger()[-1].outcome == "applied"
