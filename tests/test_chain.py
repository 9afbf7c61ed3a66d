"""The rule table: its order, that every message's outcome names its rule, and issue cases
that only the whole pipeline shows (a CONFIRM not answering the question, a reused
Message-ID)."""

from __future__ import annotations

import pytest

from mailflow.chain.table import RULES, describe
from tests.helpers import Desk
from tests.security.kit import walk_to


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def test_the_rules_are_asked_in_this_order():
    assert [rule.name for rule in RULES] == [
        "duplicate",
        "route",
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
        "forwarded",
        "owner_note",
        "likely",
        "unclear",
        "unproven",
        "unreadable_attachment",
        "engine",
    ]


def test_every_rule_has_a_unique_name_and_says_what_it_does():
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    assert all(rule.purpose for rule in RULES)
    lines = describe()
    assert len(lines) == len(RULES) and lines[-1].startswith("20. engine")


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
    assert " 1. duplicate" in out and "20. engine" in out
    assert "11. stranger: HIT → ignored: not_authorized" in out or (
        "11. stranger: HIT → answered: not_authorized" in out
    )
    assert " 8. not_an_opener: not asked (new request only)" in out
    assert "20. engine: not reached" in out
    assert len(desk.ledger()) == before
