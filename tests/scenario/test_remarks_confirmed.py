"""Remarks beside a decision, by real mail: asked, confirmed, kept on the timeline and
remembered per person; and signatures learned from the bottom of a person's mails."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from mailflow.chain.explain import explain_message, sender_lookup
from mailflow.chain.explain_text import describe
from mailflow.store.sender_tables import ConfirmedRemark, LearnedSignature
from tests.helpers import Desk
from tests.scenario.cast import CSM, EXEC, REP, TEAM
from tests.security.kit import walk_to

FIELDS = "Approach: new column\nEffort: 12\nTimeline: 3 weeks"
# Dana's own signature: none of its lines is on the lists of harmless words or titles.
BLOCK = "Dana Whitfield\nDirector, Loyalty Programmes\nAcme Corporation, 42 Harbour Road"


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def _remarks_off(settings):
    security = dataclasses.replace(settings.security, remember_confirmed_remarks=False)
    return dataclasses.replace(settings, security=security)


def _body(desk: Desk, address: str, cr_id: str) -> str:
    mail = desk.last_mail_to(address, cr_id)
    assert mail is not None
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _confirmed_at_customer_approval(desk: Desk, remark: str = "After the freeze.") -> str:
    """A CR at the customer's approval, approved by Dana with a remark she confirmed."""
    cr_id = walk_to(desk, "customer_approval")
    desk.say(REP, cr_id, f"Approved\n{remark}")
    assert desk.stage(cr_id) == "customer_approval"
    assert desk.templates_sent()[-1] == ("explain/confirm_remark", [REP, CSM])
    desk.say(REP, cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "jira_tracking"
    return cr_id


def test_a_remark_is_asked_and_confirm_records_the_decision_as_written(desk):
    cr_id = walk_to(desk, "impact_analysis")
    desk.say(TEAM, cr_id, f"DONE\n{FIELDS}\nOnly if the backfill is dropped.")
    assert desk.stage(cr_id) == "impact_analysis"
    assert desk.templates_sent()[-1] == ("explain/confirm_remark", [TEAM, CSM])
    question = _body(desk, TEAM, cr_id)
    assert "You replied DONE and added:\n  'Only if the backfill is dropped.'" in question
    assert "Effort: 12" in question and "Nothing is recorded yet" in question
    assert "\n  CONFIRM\n" in question
    assert desk.ledger()[-1].reason == "asked to confirm: DONE with a remark"

    desk.say(TEAM, cr_id, "CONFIRM")
    cr = desk.cr(cr_id)
    assert cr.stage == "costing", desk.templates_sent()[-1]
    assert (cr.fields["approach"], cr.fields["effort"], cr.fields["timeline"]) == (
        "new column",
        "12",
        "3 weeks",
    )
    assert desk.ledger()[-1].reason == "DONE at impact_analysis (confirmed)"
    (remark,) = desk.events(cr_id, {"remark"})
    assert remark.detail == (
        f"{TEAM}: DONE with the remark 'Only if the backfill is dropped.' (confirmed by CONFIRM)"
    )
    # on the timeline the CSM is shown (the status answer carries it)
    desk.say(CSM, cr_id, "STATUS?")
    assert "Only if the backfill is dropped." in _body(desk, CSM, cr_id)


def test_the_same_remark_from_the_same_person_is_then_taken_at_once(desk):
    _confirmed_at_customer_approval(desk)
    cr_id = walk_to(desk, "customer_approval")
    desk.say(REP, cr_id, "Approved\nAfter the  freeze")
    assert desk.stage(cr_id) == "jira_tracking", desk.templates_sent()[-1]
    (remark,) = desk.events(cr_id, {"remark"})
    assert "'After the freeze' (a remark they confirmed before)" in remark.detail
    # another remark of hers is still asked
    other = walk_to(desk, "customer_approval")
    desk.say(REP, other, "Approved\nAfter the audit.")
    assert desk.stage(other) == "customer_approval"
    assert desk.templates_sent()[-1][0] == "explain/confirm_remark"


def test_from_another_person_the_same_remark_is_still_asked(desk):
    _confirmed_at_customer_approval(desk)
    cr_id = walk_to(desk, "in_principle")
    desk.say(EXEC, cr_id, "Approved\nAfter the freeze.")
    assert desk.templates_sent()[-1] == ("explain/confirm_remark", [EXEC, CSM])
    desk.say(REP, cr_id, "Approved\nAfter the freeze.")
    assert desk.events(cr_id, {"remark"})[-1].actor == REP
    assert desk.stage(cr_id) == "in_principle", "the executive's vote is still owed"


def test_with_the_setting_off_the_remark_is_asked_again(tmp_path):
    desk = Desk(tmp_path, adjust=_remarks_off)
    try:
        first = _confirmed_at_customer_approval(desk)
        assert desk.events(first, {"remark"}), "the remark is on the timeline all the same"
        cr_id = walk_to(desk, "customer_approval")
        desk.say(REP, cr_id, "Approved\nAfter the freeze.")
        assert desk.stage(cr_id) == "customer_approval"
        assert desk.templates_sent()[-1][0] == "explain/confirm_remark"
        with desk.app.db.session() as session:
            assert session.exec(select(ConfirmedRemark)).all() == []
    finally:
        desk.close()


def test_remarks_remembered_before_the_setting_was_turned_off_are_not_relied_on(tmp_path):
    desk = Desk(tmp_path)
    try:
        _confirmed_at_customer_approval(desk)
    finally:
        desk.close()
    desk = Desk(tmp_path, adjust=_remarks_off)
    try:
        cr_id = walk_to(desk, "customer_approval")
        desk.say(REP, cr_id, "Approved\nAfter the freeze.")
        assert desk.stage(cr_id) == "customer_approval"
        assert desk.templates_sent()[-1][0] == "explain/confirm_remark"
    finally:
        desk.close()


def test_several_remarks_are_asked_together_and_all_remembered(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say(REP, cr_id, "Approved\nAfter the freeze.\nOnly for phase 1.")
    question = _body(desk, REP, cr_id)
    assert "'After the freeze.'\n  'Only for phase 1.'" in question
    desk.say(REP, cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "jira_tracking"
    assert len(desk.events(cr_id, {"remark"})) == 2
    with desk.app.db.session() as session:
        keys = {r.key for r in session.exec(select(ConfirmedRemark)).all()}
    assert keys == {"after the freeze", "only for phase 1"}


def test_a_remark_on_a_decision_the_stage_does_not_take_is_not_offered_confirm(desk):
    cr_id = walk_to(desk, "impact_analysis")
    desk.say(TEAM, cr_id, "Approved\nAfter the freeze.")
    assert desk.templates_sent()[-1][0] == "explain/unclear"
    assert "CONFIRM" not in _body(desk, TEAM, cr_id)


def test_a_signature_is_learned_from_two_mails_that_end_in_it(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say(REP, cr_id, f"Looking into it today.\n\n{BLOCK}")
    assert desk.templates_sent()[-1][0] == "explain/unclear"
    # after only one earlier mail, the block is still a question
    desk.say(REP, cr_id, f"Approved\n\n{BLOCK}")
    assert desk.stage(cr_id) == "customer_approval"
    assert desk.templates_sent()[-1][0] == "explain/confirm_remark"
    # two earlier mails ended in it: it is her signature
    desk.say(REP, cr_id, f"Approved\n\n{BLOCK}")
    assert desk.stage(cr_id) == "jira_tracking", desk.templates_sent()[-1]
    with desk.app.db.session() as session:
        (learned,) = session.exec(select(LearnedSignature)).all()
    assert (learned.address, learned.block) == (REP, BLOCK)


def test_a_condition_at_the_end_of_two_mails_is_never_learned(desk):
    cr_id = walk_to(desk, "customer_approval")
    tail = "Only for phase 1.\nDana Whitfield"
    desk.say(REP, cr_id, f"Looking into it.\n{tail}")
    desk.say(REP, cr_id, f"Approved\n{tail}")
    desk.say(REP, cr_id, f"Approved\n{tail}")
    assert desk.stage(cr_id) == "customer_approval"
    with desk.app.db.session() as session:
        assert session.exec(select(LearnedSignature)).all() == []


def test_explain_shows_the_learned_signature_and_the_confirmed_remarks(desk):
    cr_id = _confirmed_at_customer_approval(desk)
    desk.say(REP, cr_id, f"Noted.\n\n{BLOCK}")
    desk.say(REP, cr_id, f"Thanks.\n\n{BLOCK}")
    raw = desk.reply(REP, cr_id, f"Approved\nAfter the freeze.\n\n{BLOCK}").as_bytes()
    vocabulary, own = desk.app.workflow.vocabulary, desk.app.settings.own_addresses()
    lookup = sender_lookup(desk.app)
    assert lookup is not None
    result = explain_message(raw, vocabulary=vocabulary, own_addresses=own, on_record=lookup)
    assert result["learned_signatures"] == [BLOCK]
    assert result["confirmed_remarks"] == ["After the freeze."]
    assert result["decision"] == "APPROVED"
    text = describe(result)
    assert "taken as their signature" in text and "  | Director, Loyalty Programmes" in text
    assert "confirmed these beside a decision" in text and "  - 'After the freeze.'" in text
    nothing = explain_message(raw, vocabulary=vocabulary, own_addresses=own)
    assert nothing["learned_signatures"] == [] and nothing["decision"] is None
