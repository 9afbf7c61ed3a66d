"""The rule table: its order, that every message's outcome names its rule, and issue cases
that only the whole pipeline shows (a CONFIRM not answering the question, a reused
Message-ID)."""

from __future__ import annotations

import pytest

from mailflow.chain.table import RULES, describe
from tests.helpers import Desk
from tests.security.kit import adjust, walk_to


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def test_the_rules_are_asked_in_this_order():
    assert [rule.name for rule in RULES] == [
        "duplicate",
        "route",
        "jira_progress",
        "jira_notification",
        "automated",
        "too_large",
        "stranger_naming_no_cr",
        "unknown_cr",
        "not_an_opener",
        "unclear_customer",
        "new_request",
        "stranger",
        "reading",
        "confirmation",
        "earlier_request",
        "forwarded",
        "owner_note",
        "likely",
        "unclear",
        "unproven",
        "unreadable_attachment",
        "remarks",
        "early_answer",
        "engine",
    ]


def test_every_rule_has_a_unique_name_and_says_what_it_does():
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    assert all(rule.purpose for rule in RULES)
    lines = describe()
    assert len(lines) == len(RULES) and lines[-1].startswith("24. engine")


def test_the_ledger_names_the_rule_that_ruled(desk):
    cr_id = desk.open_cr()
    assert desk.ledger()[-1].rules.startswith("hit: new_request; passed: duplicate, route")
    desk.say("integration@ft.example", cr_id, "IS CR")
    assert desk.ledger()[-1].rules.startswith("hit: engine;")
    desk.say("integration@ft.example", cr_id, "maybe later")
    entry = desk.ledger()[-1]
    assert entry.outcome == "answered" and entry.rules.startswith("hit: unclear;")
    assert "stranger" in entry.rules and "engine" not in entry.rules


def test_a_confirm_that_does_not_reply_to_the_question_records_nothing(desk):
    cr_id = walk_to(desk, "customer_approval")
    # Later than the request: the question's reply token (it carries an expiry) is its own.
    desk.clock.advance(minutes=5)
    desk.say("dana@acme.example", cr_id, "Go ahead, thanks!")
    question = desk.last_mail_to("dana@acme.example", cr_id)
    assert question is not None and "CONFIRM" in question.get_body(("plain",)).get_content()
    # Dana's CONFIRM replies to an older mail of this stage, not to the question.
    request = next(
        row for row in desk.outbox(cr_id)
        if row.template == "request/customer_approval" and "dana@acme.example" in row.recipients
    )  # fmt: skip
    msg = desk.mail("dana@acme.example", f"RE: [{cr_id}] approval", "CONFIRM")
    msg["In-Reply-To"] = msg["References"] = request.message_id
    desk.send(msg)
    assert desk.stage(cr_id) == "customer_approval"
    assert desk.templates_sent()[-1] == (
        "explain/not_expected",
        ["dana@acme.example", "priya@ft.example"],
    )
    assert desk.ledger()[-1].outcome == "answered"
    # Her CONFIRM in reply to the question itself records the decision.
    desk.say("dana@acme.example", cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "jira_tracking"
    assert desk.ledger()[-1].reason == "APPROVED at customer_approval (confirmed)"


def test_a_reused_message_id_on_a_different_mail_is_handled_as_its_own(desk):
    cr_id = desk.open_cr()
    first = desk.reply("integration@ft.example", cr_id, "IS CR")
    desk.send(first)
    other = desk.reply("dana@acme.example", cr_id, "STATUS?")
    del other["Message-ID"]
    other["Message-ID"] = first["Message-ID"]
    desk.send(other)
    entries = [e for e in desk.ledger() if e.message_id == first["Message-ID"]]
    assert [e.sender for e in entries] == ["integration@ft.example", "dana@acme.example"]
    assert entries[1].outcome == "applied"
    assert f"Message-ID also on ledger entry {entries[0].id}" in entries[1].reason
    assert desk.templates_sent()[-1] == ("notice/status", ["dana@acme.example"])


def test_a_reused_message_id_with_other_new_text_is_not_swallowed(desk):
    cr_id = desk.open_cr()
    first = desk.reply("integration@ft.example", cr_id, "Looking into it")
    desk.send(first)
    again = desk.reply("integration@ft.example", cr_id, "IS CR")
    del again["Message-ID"]
    again["Message-ID"] = first["Message-ID"]
    desk.send(again)
    assert desk.stage(cr_id) == "in_principle"
    assert "a different message" in desk.ledger()[-1].reason


def test_explain_rules_shows_which_rule_would_hit_without_recording(desk, tmp_path, capsys):
    from mailflow.chain.dry_run import print_rules

    cr_id = desk.open_cr()
    path = tmp_path / "reply.eml"
    path.write_bytes(desk.reply("mallory@evil.example", cr_id, "APPROVED").as_bytes())
    before = len(desk.ledger())
    assert print_rules(desk.app, [str(path)], desk.clock()) == 0
    out = capsys.readouterr().out
    assert " 1. duplicate" in out and "24. engine" in out
    assert "12. stranger: HIT → ignored: not_authorized" in out or (
        "12. stranger: HIT → answered: not_authorized" in out
    )
    assert " 9. not_an_opener: not asked (new request only)" in out
    assert "24. engine: not reached" in out
    assert len(desk.ledger()) == before


def first_request_to(desk: Desk, cr_id: str, address: str, template: str):
    return next(
        row for row in desk.outbox(cr_id) if row.template == template and address in row.recipients
    )


def reply_to_row(desk: Desk, row, sender: str, body: str) -> None:
    msg = desk.mail(sender, f"RE: [{row.cr_id}] earlier request", body)
    msg["In-Reply-To"] = msg["References"] = row.message_id
    desk.send(msg)


def test_what_answers_an_earlier_request_but_decides_nothing_there_passes_that_rule(desk):
    """STATUS? and the CSM's own notes on an old request's thread are handled as before."""
    cr_id = walk_to(desk, "customer_approval")
    old = first_request_to(desk, cr_id, "dana@acme.example", "request/in_principle")
    reply_to_row(desk, old, "dana@acme.example", "STATUS?")
    assert desk.templates_sent()[-1] == ("notice/status", ["dana@acme.example"])
    copy = first_request_to(desk, cr_id, "priya@ft.example", "request/in_principle")
    reply_to_row(desk, copy, "priya@ft.example", "Dana, the cost mail is the one to answer.")
    assert desk.ledger()[-1].reason == "note: the CSM's mail on the thread"
    assert desk.stage(cr_id) == "customer_approval"


@pytest.mark.parametrize("policy", ["sender", "token"])
def test_a_decision_answering_no_request_of_ours_is_handled_as_before(tmp_path, policy):
    """A fresh mail naming the CR: recorded under `sender`, confirmed once under `token`."""
    desk = Desk(tmp_path, adjust=adjust(security={"policy": policy}))
    try:
        cr_id = walk_to(desk, "customer_approval")
        desk.send(desk.mail("dana@acme.example", f"[{cr_id}] approval", "Approved"))
        assert "earlier_request" in desk.ledger()[-1].rules.partition("; passed:")[2]
        if policy == "sender":
            assert desk.stage(cr_id) == "jira_tracking"
        else:
            question = ("explain/confirm_author", ["dana@acme.example", "priya@ft.example"])
            assert desk.templates_sent()[-1] == question
            desk.say("dana@acme.example", cr_id, "CONFIRM")
            assert desk.stage(cr_id) == "jira_tracking"
    finally:
        desk.close()


def test_a_reply_that_changes_nothing_leaves_the_cr_row_as_it_was(desk):
    """A question asked back is on the timeline and in the outbox; the CR row, and when
    it was last updated, stay as they were (a digest lists CRs by that time)."""
    cr_id = desk.open_cr()
    before = desk.cr(cr_id)
    events = len(desk.events(cr_id))
    desk.clock.advance(hours=3)
    desk.say("integration@ft.example", cr_id, "Let me look at this next week.")
    after = desk.cr(cr_id)
    assert desk.ledger()[-1].outcome == "answered"
    assert len(desk.events(cr_id)) > events
    assert (after.stage, after.updated_at) == (before.stage, before.updated_at)


def test_the_mails_of_one_result_read_the_cr_once_for_each_side(desk):
    """A reply that moves a CR causes several mails (the receipt, the next requests, the
    CSM's copy); each side's view of the CR is read once for all of them."""
    from sqlalchemy import event

    cr_id = desk.open_cr()
    reads: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.startswith("SELECT") and "FROM audit_event" in statement:
            reads.append(statement)

    event.listen(desk.app.db.engine, "before_cursor_execute", count)
    desk.say("integration@ft.example", cr_id, "IS CR")
    event.remove(desk.app.db.engine, "before_cursor_execute", count)
    sent = [t for t, _ in desk.templates_sent()]
    assert desk.stage(cr_id) != "triage" and len(sent) >= 4
    assert len(reads) == 2  # FT's side and the customer's
