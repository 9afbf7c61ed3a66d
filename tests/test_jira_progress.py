"""Jira's mail about a CR's recorded issue, through the real pipeline: progress, notes, sign-off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from mailflow.service import reminders
from mailflow.store.tables import Confirmation
from tests.helpers import Desk
from tests.jira_mail import listing_jira, raw
from tests.scenario.cast import CSM, ENGINEER, REP, send_file, to_due_date

DEVOPS, QA = "devops@ft.example", "qa@ft.example"


def at_development(desk: Desk) -> str:
    """A CR with Jira ACME-482 recorded, moved by mail to development."""
    cr_id = to_due_date(desk)
    due = (desk.clock.now.date() + timedelta(days=40)).isoformat()
    desk.say(ENGINEER, cr_id, f"DONE\nDue: {due}")
    send_file(desk, ENGINEER, cr_id, "DONE", "export-api.pdf", b"%PDF-1.4 api")
    desk.say(REP, cr_id, "APPROVED")
    assert desk.stage(cr_id) == "development", desk.templates_sent()[-1]
    return cr_id


def at_uat(desk: Desk) -> str:
    cr_id = at_development(desk)
    for who, verb in (
        (ENGINEER, "DONE"),
        (DEVOPS, "DEPLOYED"),
        (QA, "PASSED"),
        (DEVOPS, "DEPLOYED"),
    ):
        desk.say(who, cr_id, verb)
    assert desk.stage(cr_id) == "uat", desk.templates_sent()[-1]
    return cr_id


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path, adjust=listing_jira())
    yield d
    d.close()


def test_an_engineers_comment_is_progress_on_the_cr_and_jira_is_not_answered(desk):
    cr_id = to_due_date(desk)
    before = len(desk.outbox())
    desk.send(raw("dc-comment.eml"))
    entry = desk.ledger()[-1]
    assert entry.outcome == "applied" and entry.cr_id == cr_id
    assert entry.reason.startswith(f"jira: ACME-482 of {cr_id}: comment by Kiran Rao: PROGRESS")
    assert "hit: jira_progress" in entry.rules
    (event,) = desk.events(cr_id, {"progress"})
    assert event.actor == ENGINEER and "the 90-day backfill runs on QA" in event.detail
    assert len(desk.outbox()) == before, "a comment is not mailed about, and Jira never answered"


def test_status_and_assignee_changes_go_on_the_timeline(desk):
    cr_id = to_due_date(desk)
    desk.send(raw("dc-status.eml"))
    desk.send(raw("dc-batched.eml", **{"name=kiran": "name=kiran.rao"}))
    progress = [e.detail for e in desk.events(cr_id, {"progress"})]
    assert progress[0] == "Jira ACME-482, Kiran Rao: status In Progress → In Review"
    assert "Jira ACME-482, Kiran Rao: status In Review → Ready for QA" in progress
    (inside,) = desk.events(cr_id, {"jira"})
    assert inside.detail == "Jira ACME-482, Priya Nair: assignee Omar Haddad → Kiran Rao"


def test_the_customer_sees_progress_in_her_words_and_never_an_internal_comment(desk):
    cr_id = to_due_date(desk)
    desk.send(raw("dc-comment.eml"))
    desk.send(raw("dc-restricted-comment.eml"))
    desk.say(REP, cr_id, "STATUS?")
    answer = " ".join(desk.last_mail_to(REP, cr_id).get_body(("plain",)).get_content().split())
    assert "Jira ACME-482, FT: comment — The loyalty_points mapping is in" in answer
    assert "staging data" not in answer and "Kiran" not in answer
    desk.say(CSM, cr_id, "STATUS?")
    inside = " ".join(desk.last_mail_to(CSM, cr_id).get_body(("plain",)).get_content().split())
    assert "Kiran Rao: comment" in inside and "internal comment — Their staging data" in inside


def test_an_author_not_tied_to_a_person_is_a_note_and_the_csm_is_told(desk):
    cr_id = at_uat(desk)
    desk.send(raw("cloud-unknown-author.eml"))
    (note,) = desk.events(cr_id, {"note"})
    assert "Sam Contractor" in note.detail
    template, people = desk.templates_sent()[-1]
    assert (template, people) == ("notice/jira_unmatched", [CSM])
    assert desk.stage(cr_id) == "uat"


def test_a_display_name_alone_ties_no_one(desk):
    """Dana's name, with an account id nobody has: not her comment."""
    cr_id = at_uat(desk)
    desk.send(raw("cloud-signoff.eml", **{"712020:5d4a9e21-dana": "712020:someone-else"}))
    assert desk.events(cr_id, {"note"}) and desk.stage(cr_id) == "uat"
    assert desk.templates_sent()[-1][0] == "notice/jira_unmatched"


def test_notifications_about_other_issues_are_left_to_intake(desk):
    cr_id = to_due_date(desk)
    desk.send(raw("dc-status.eml", **{"ACME-482": "GLOBEX-7"}))
    assert desk.ledger()[-1].outcome == "ignored"
    assert "no account lists project GLOBEX" in desk.ledger()[-1].reason
    assert desk.events(cr_id, {"progress", "jira"}) == []


def test_from_a_sender_not_listed_it_is_automated_mail(tmp_path):
    plain = Desk(tmp_path)
    try:
        cr_id = to_due_date(plain)
        plain.send(raw("dc-comment.eml"))
        assert plain.ledger()[-1].outcome == "ignored"
        assert plain.events(cr_id, {"progress"}) == []
    finally:
        plain.close()


def test_a_sign_off_on_jira_is_confirmed_once_by_mail(desk):
    cr_id = at_uat(desk)
    desk.send(raw("cloud-signoff.eml"))
    assert desk.stage(cr_id) == "uat"
    template, people = desk.templates_sent()[-1]
    assert template == "notice/jira_confirm" and people == [REP, CSM]
    asked = desk.last_mail_to(REP, cr_id).get_body(("plain",)).get_content()
    assert "> Signed off, thanks." in asked and "CONFIRM" in asked
    desk.say(REP, cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "production_deploy"
    assert "SIGNED OFF at uat (confirmed)" in desk.ledger()[-1].reason


def test_a_confirm_from_someone_else_does_not_record_it(desk):
    cr_id = at_uat(desk)
    desk.send(raw("cloud-signoff.eml"))
    desk.say(CSM, cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "uat"


def test_an_engineers_sign_off_words_are_progress_not_a_decision(desk):
    cr_id = at_uat(desk)
    desk.send(raw("cloud-signoff.eml", **{"712020:5d4a9e21-dana": "557058:6c1f0b7e-kiran"}))
    assert desk.stage(cr_id) == "uat"
    assert desk.events(cr_id, {"progress"})[-1].actor == ENGINEER


def test_the_customers_comment_where_she_does_not_act_is_progress(desk):
    cr_id = at_development(desk)
    desk.send(raw("cloud-signoff.eml"))
    assert desk.stage(cr_id) == "development"
    assert desk.events(cr_id, {"progress"})[-1].actor == REP


def test_trusted_jira_with_dmarc_records_the_sign_off_at_once(tmp_path):
    desk = Desk(tmp_path, adjust=listing_jira("trust", trusted=True))
    try:
        cr_id = at_uat(desk)
        desk.send(raw("cloud-signoff.eml"))
        assert desk.stage(cr_id) == "production_deploy"
        assert all(t != "notice/jira_confirm" for t, _ in desk.templates_sent())
    finally:
        desk.close()


@pytest.mark.parametrize(
    "swap",
    [
        {"dmarc=pass": "dmarc=fail", "dkim=pass": "dkim=fail"},  # not authenticated
        {"mx.ft.example": "mx.elsewhere.example"},  # a header nobody trusts
        {"Signed off, thanks.": "Signed off, thanks.\nKiran Rao commented on ACME-482\nok"},
    ],
)
def test_trusted_jira_without_its_proof_asks_to_confirm(tmp_path, swap):
    """No authentication, or more than the one change: confirmed once, as by default."""
    desk = Desk(tmp_path, adjust=listing_jira("trust", trusted=True))
    try:
        cr_id = at_uat(desk)
        desk.send(raw("cloud-signoff.eml", **swap))
        assert desk.stage(cr_id) == "uat"
        assert "notice/jira_confirm" in [t for t, _ in desk.templates_sent()]
    finally:
        desk.close()


def test_a_sign_off_waiting_for_confirm_is_not_chased_as_silence(desk):
    at_uat(desk)  # on a Monday
    desk.clock.advance(days=3)
    desk.send(raw("cloud-signoff.eml"))  # Thursday
    sent = len(desk.outbox())
    desk.clock.advance(days=4)  # Monday: the stage's 120 business hours have passed
    assert reminders.sweep(desk.app, desk.clock()) == 0
    assert len(desk.outbox()) == sent
    desk.clock.advance(days=7)  # one interval after the question: chased again
    assert reminders.sweep(desk.app, desk.clock()) == 1
    assert desk.templates_sent()[-1][0] == "notice/reminder"
    with desk.app.db.session() as s:
        assert s.exec(select(Confirmation)).one().confirmed_at is None


def test_explain_shows_the_cr_each_change_its_author_and_what_would_be_recorded(desk):
    from mailflow.chain.dry_run import walk_without_acting

    cr_id = at_uat(desk)
    lines = walk_without_acting(desk.app, raw("cloud-signoff.eml"), desk.clock())
    text = "\n".join(lines)
    assert "jira_progress: HIT → applied: jira: ACME-482 of" in text
    assert f"jira: ACME-482 is the Jira issue of {cr_id}, at uat" in text
    assert "comment by Dana Whitfield (712020:5d4a9e21-dana) → dana@acme.example" in text
    assert "read as the stage's decision; its author asked once to CONFIRM" in text
    assert desk.stage(cr_id) == "uat" and desk.templates_sent()[-1][0] != "notice/jira_confirm"
