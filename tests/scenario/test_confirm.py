"""Approvals in other words: asked back, recorded only on the same person's CONFIRM."""

from __future__ import annotations

import pytest

from tests.helpers import Desk
from tests.security.kit import walk_to


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def test_go_ahead_is_asked_back_and_confirm_records_it(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "Go ahead, thanks!")
    assert desk.stage(cr_id) == "customer_approval"
    assert desk.templates_sent()[-1] == (
        "explain/confirm",
        ["dana@acme.example", "priya@ft.example"],
    )
    question = desk.last_mail_to("dana@acme.example", cr_id)
    assert (
        "APPROVED" in question["Subject"]
        and "CONFIRM" in question.get_body(("plain",)).get_content()
    )
    assert desk.events(cr_id, {"question"})
    desk.say("dana@acme.example", cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "jira_tracking"
    assert desk.ledger()[-1].reason == "APPROVED at customer_approval (confirmed)"


def test_a_confirm_from_someone_else_or_with_nothing_waiting_changes_nothing(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "Fine with me")
    desk.say("priya@ft.example", cr_id, "Confirmed")
    assert desk.stage(cr_id) == "customer_approval"
    assert desk.templates_sent()[-1][1] == ["priya@ft.example"]
    assert desk.templates_sent()[-1][0] in ("explain/not_expected", "explain/wrong_sender")


def test_the_question_lapses_when_the_stage_moves_on(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "Looks good")
    desk.say("dana@acme.example", cr_id, "APPROVED")
    assert desk.stage(cr_id) == "jira_tracking"
    desk.say("dana@acme.example", cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "jira_tracking"
    assert desk.templates_sent()[-1][0] in ("explain/not_expected", "explain/wrong_sender")


@pytest.mark.parametrize(
    "text",
    [
        "ok but wait for finance",
        "Looks good? not sure yet",
        "not ok",
        "I don't think it's fine with me",
    ],
)
def test_hedged_or_negated_words_are_a_plain_question(desk, text):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, text)
    assert desk.templates_sent()[-1] == (
        "explain/unclear",
        ["dana@acme.example", "priya@ft.example"],
    )


def test_a_likely_rejection_keeps_the_words_as_its_reason(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "No thanks, we will not go ahead at this price")
    assert desk.templates_sent()[-1] == (
        "explain/confirm",
        ["dana@acme.example", "priya@ft.example"],
    )
    desk.say("dana@acme.example", cr_id, "confirm")
    cr = desk.cr(cr_id)
    assert cr.stage == "costing"
    assert "we will not go ahead" in cr.fields["customer_approval.rejected"]


@pytest.mark.parametrize(
    "text",
    [
        "Confirmed, but only after legal has seen it",
        "I think I confirmed this already, could you check",
        "Confirmed?",
        "Not confirmed",
    ],
)
def test_a_confirm_that_is_not_a_plain_confirm_records_nothing(desk, text):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "Go ahead")
    desk.say("dana@acme.example", cr_id, text)
    assert desk.stage(cr_id) == "customer_approval"
    assert desk.templates_sent()[-1] == (
        "explain/unclear",
        ["dana@acme.example", "priya@ft.example"],
    )
    answer = desk.last_mail_to("dana@acme.example", cr_id)
    assert "nothing has been recorded" in answer.get_body(("plain",)).get_content()


@pytest.mark.parametrize("text", ["No objection", "Let's do it", "Looks fine to me"])
def test_approvals_in_other_words_are_asked_back_as_approved(desk, text):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, text)
    assert desk.stage(cr_id) == "customer_approval"
    question = desk.last_mail_to("dana@acme.example", cr_id)
    assert "APPROVED" in question["Subject"]


@pytest.mark.parametrize("text", ["Approval denied", "We'll pass", "Not going ahead"])
def test_rejections_in_other_words_are_asked_back_as_rejected(desk, text):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, text)
    assert desk.stage(cr_id) == "customer_approval"
    question = desk.last_mail_to("dana@acme.example", cr_id)
    assert "REJECTED" in question["Subject"]


@pytest.mark.parametrize(
    "text",
    ["Yes", "Yes.", "OK", "Ok, thanks", "Yes please", "Confirmed", "Correct", "That's right"],
)
def test_a_plain_yes_to_the_question_records_it(desk, text):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "Go ahead, thanks!")
    assert desk.templates_sent()[-1][0] == "explain/confirm"
    desk.say("dana@acme.example", cr_id, text)
    assert desk.stage(cr_id) == "jira_tracking"
    assert desk.ledger()[-1].reason == "APPROVED at customer_approval (confirmed)"


def test_a_plain_yes_confirms_a_rejection_with_its_reason(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "No thanks, we will not go ahead at this price")
    desk.say("dana@acme.example", cr_id, "Yes\n\nRegards,\nDana")
    cr = desk.cr(cr_id)
    assert cr.stage == "costing"
    assert "we will not go ahead" in cr.fields["customer_approval.rejected"]


@pytest.mark.parametrize(
    "text",
    [
        "Yes, but only after the freeze",
        "Yes I think so",
        "Yes?",
        "OK, let me check with finance first",
        "That's right, approved by finance",
        "Not correct",
    ],
)
def test_more_than_a_plain_yes_stays_a_question(desk, text):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "Go ahead")
    start = len(desk.outbox())
    desk.say("dana@acme.example", cr_id, text)
    assert desk.stage(cr_id) == "customer_approval"
    assert [t for t, to in desk.templates_sent(start) if to[0] == "dana@acme.example"]
    assert "confirmed" not in desk.ledger()[-1].reason


def test_a_yes_from_someone_else_confirms_nothing(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "Go ahead")
    desk.say("priya@ft.example", cr_id, "Yes")
    assert desk.stage(cr_id) == "customer_approval"
    assert "confirmed" not in desk.ledger()[-1].reason, "the CSM's yes is a note on the thread"
    desk.say("dana@acme.example", cr_id, "Yes")
    assert desk.stage(cr_id) == "jira_tracking", "Dana's question was still open"


def test_a_yes_that_answers_no_question_is_read_as_before(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "Yes")
    assert desk.stage(cr_id) == "customer_approval"
    question = desk.last_mail_to("dana@acme.example", cr_id)
    assert "APPROVED" in question["Subject"], "asked to confirm, as before"
    assert desk.templates_sent()[-1][0] == "explain/confirm"


def test_a_yes_in_a_new_mail_is_not_the_answer(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "Go ahead")
    desk.send(desk.mail("dana@acme.example", f"[{cr_id}] loyalty export", "Yes"))
    assert desk.stage(cr_id) == "customer_approval"


def test_a_yes_after_the_stage_moved_on_confirms_nothing(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "Looks good")
    desk.say("dana@acme.example", cr_id, "APPROVED")
    assert desk.stage(cr_id) == "jira_tracking"
    desk.say("dana@acme.example", cr_id, "Yes")
    assert desk.stage(cr_id) == "jira_tracking"
    assert "confirmed" not in desk.ledger()[-1].reason


def test_the_plain_yes_words_change_no_other_reading(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "Approved, that's right")
    assert desk.stage(cr_id) == "customer_approval", "asked back, as before"
    assert desk.templates_sent()[-1][0] != "explain/confirm"
