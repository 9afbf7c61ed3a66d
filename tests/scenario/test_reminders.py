"""Waiting stages are chased: reminders to the actors, then escalation to the CSM, then up."""

from __future__ import annotations

import email
from email.policy import default

import pytest

from tests.helpers import Desk


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def _to_executive_approval(desk: Desk) -> str:
    cr_id = desk.open_cr()
    desk.say("integration@ft.example", cr_id, "IS CR")
    desk.say("dana@acme.example", cr_id, "Approved")
    desk.say("amardeep@ft.example", cr_id, "Approved")
    desk.say("priya@ft.example", cr_id, "Done, document attached", attachment="cr.docx")
    desk.say(
        "integration@ft.example", cr_id, "DONE\nApproach: new column\nEffort: 12\nTimeline: 3 weeks"
    )
    desk.say("priya@ft.example", cr_id, "DONE\nCost: 9600")
    assert desk.stage(cr_id) == "executive_approval"
    return cr_id


def test_reminders_then_escalations(desk):
    cr_id = _to_executive_approval(desk)
    start = len(desk.outbox())
    desk.daemon.run(once=True)
    assert len(desk.outbox()) == start, "nothing is due yet"
    desk.say(
        "amardeep@ft.example", cr_id, "Out of office until Friday", Auto_Submitted="auto-replied"
    )
    sent = []
    for _ in range(4):
        desk.clock.advance(hours=49)
        desk.daemon.run(once=True)
        sent += desk.templates_sent(start)[len(sent) :]
    assert [t for t, _ in sent] == [
        "notice/reminder",
        "notice/reminder",
        "notice/escalation",
        "notice/escalation",
    ]
    assert sent[0][1][0] == "amardeep@ft.example"
    assert sent[2][1][0] == "priya@ft.example", "first escalation goes to the CSM"
    late_exec = sent[3][1]
    assert late_exec[0] == "priya@ft.example" and "sumesh@ft.example" in late_exec, (
        "the executive is the late one: the CSM and management instead"
    )
    assert "dana@acme.example" not in {a for _, to in sent[2:] for a in to}
    reminder = desk.last_mail_to("sumesh@ft.example", cr_id)
    assert reminder is not None
    assert desk.events(cr_id, {"reminder", "escalation"})
    first_reminder = email.message_from_bytes(desk.outbox(cr_id)[start].data, policy=default)
    body = first_reminder.get_body(("plain",)).get_content()
    assert "We received these automatic replies" in body, "the out-of-office is passed on"
    assert "amardeep@ft.example" in body.split("automatic replies", 1)[1]


def test_a_held_cr_is_not_chased_and_a_decision_resets_the_clock(desk):
    cr_id = _to_executive_approval(desk)
    desk.say("priya@ft.example", cr_id, "HOLD waiting for budget")
    assert desk.cr(cr_id).held
    start = len(desk.outbox())
    desk.clock.advance(days=10)
    desk.daemon.run(once=True)
    assert desk.templates_sent(start) == []
    desk.say("amardeep@ft.example", cr_id, "APPROVED")
    assert desk.templates_sent()[-1] == (
        "explain/on_hold",
        ["amardeep@ft.example", "priya@ft.example"],
    )
    desk.say("priya@ft.example", cr_id, "RESUME")
    desk.say("amardeep@ft.example", cr_id, "APPROVED")
    assert desk.stage(cr_id) == "customer_approval"
