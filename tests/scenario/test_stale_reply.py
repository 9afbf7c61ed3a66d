"""A reply answers the request it replies to, never a later one.

Told as it happened: Dana gave her in-principle approval early on. Weeks later the CR
waits for her approval of the cost, and she answers "Approved" to the old in-principle
mail still at the top of her mailbox. That is not an approval of the cost, under the
`sender` policy or the default one: the CR stays where it is, the refusal is on the
ledger and the timeline, and Dana is told what that old mail was, what she answered
then, and which mail to answer now. The same holds for a request of an earlier round of
the stage itself (the executive's first cost approval, after the cost was revised).
"""

from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from mailflow.store.message_tables import OutboxRow
from tests.helpers import Desk
from tests.scenario.cast import CSM, EXEC, REP, TEAM, docx, send_file
from tests.security.kit import adjust, evidence_of

# Words a customer or executive should never have to read.
INTERNAL = re.compile(r"token|in-reply-to|references|ledger|\bverb\b|_approval|in_principle", re.I)
POLICIES = ["sender", "token"]


@pytest.fixture(params=POLICIES)
def desk(request, tmp_path):
    d = Desk(tmp_path, adjust=adjust(security={"policy": request.param}))
    yield d
    d.close()


def next_day(desk: Desk, sender: str, cr_id: str, body: str) -> None:
    """A reply to the newest mail this person got, a day after the last one."""
    desk.clock.advance(days=1)
    desk.say(sender, cr_id, body)


def to_customer_approval(desk: Desk) -> str:
    """The CR walked by mail, a day a step, to the customer's approval of the cost."""
    cr_id = desk.open_cr()
    for sender, body in ((TEAM, "IS CR"), (REP, "APPROVED"), (EXEC, "APPROVED")):
        next_day(desk, sender, cr_id, body)
    desk.clock.advance(days=1)
    send_file(desk, CSM, cr_id, "DONE", "CR-export.docx", docx("CR document"))
    next_day(desk, TEAM, cr_id, "DONE\nApproach: new column\nEffort: 12\nTimeline: 3 weeks")
    next_day(desk, CSM, cr_id, "DONE\nCost: USD 9,600")
    next_day(desk, EXEC, cr_id, "APPROVED")
    assert desk.stage(cr_id) == "customer_approval"
    return cr_id


def request_to(desk: Desk, cr_id: str, address: str, stage: str) -> list[OutboxRow]:
    """The requests of a stage sent to one person, oldest first (one per round)."""
    return [
        row
        for row in desk.outbox(cr_id)
        if row.template == f"request/{stage}" and address in row.recipients
    ]


def answer(desk: Desk, row: OutboxRow, sender: str, body: str) -> None:
    """A reply to that very mail, quoting it, as a mail client writes one."""
    parent = email_of(row)
    msg = desk.mail(sender, f"RE: {parent['Subject']}", body)
    msg["In-Reply-To"] = msg["References"] = row.message_id
    quoted = "\n".join(f"> {line}" for line in text_of(parent).splitlines())
    msg.set_content(f"{body}\n\nOn Mon, FT wrote:\n{quoted}\n")
    desk.send(msg)


def email_of(row: OutboxRow) -> EmailMessage:
    return email.message_from_bytes(row.data, policy=default_policy)  # type: ignore[return-value]


def text_of(msg: EmailMessage) -> str:
    return str(msg.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def day(row: OutboxRow) -> str:
    """The date a mail was sent, as the answer writes it."""
    at = row.created_at
    return f"{at.day} {at:%B %Y}"


def test_approved_to_the_in_principle_request_is_not_the_approval_of_the_cost(desk):
    cr_id = to_customer_approval(desk)
    [old] = request_to(desk, cr_id, REP, "in_principle")
    [current] = request_to(desk, cr_id, REP, "customer_approval")
    desk.clock.advance(days=1)
    sent = len(desk.outbox())

    answer(desk, old, REP, "Approved")

    assert desk.stage(cr_id) == "customer_approval", "the CR did not move"
    entry = desk.ledger()[-1]
    assert entry.outcome == "answered"
    assert entry.reason.startswith("refused: earlier_request: answers request/in_principle")
    assert entry.rules.startswith("hit: earlier_request;")
    [refusal] = desk.events(cr_id, {"refusal"})[-1:]
    assert refusal.detail.startswith(f"{REP}: earlier_request: ") and refusal.ledger_id == entry.id
    [proof] = [e for e in evidence_of(desk, cr_id) if e.ledger_id == entry.id]
    assert (proof.outcome, proof.verb, proof.stage) == ("refused", "APPROVED", "customer_approval")

    assert desk.templates_sent(sent) == [("explain/earlier_request", [REP, CSM])]
    body = text_of(email_of(desk.outbox()[-1]))
    assert f"answers our request of {day(old)} for In-principle approval" in body
    assert "Your answer to it, APPROVED, was already recorded on" in body
    assert "Where the change request is now:" in body
    assert "It is waiting for your reply." in body
    assert f"answer our request of {day(current)}" in body
    assert email_of(current)["Subject"] in " ".join(body.split())
    assert "Cost:       USD 9,600.00" in body, "the figures her approval would be of"
    assert "> Approved" in body, "the line read is quoted back"
    assert not INTERNAL.search(body), INTERNAL.search(body)

    # Her reply to the request that is waiting counts, as it always did.
    answer(desk, current, REP, "Approved")
    assert desk.stage(cr_id) == "jira_tracking"
    assert desk.ledger()[-1].reason == "APPROVED at customer_approval"


def test_a_request_of_an_earlier_round_of_the_same_stage_does_not_count(desk):
    cr_id = to_customer_approval(desk)
    [first] = request_to(desk, cr_id, REP, "customer_approval")
    next_day(desk, REP, cr_id, "REJECTED the cost is too high")
    assert desk.stage(cr_id) == "costing"
    next_day(desk, CSM, cr_id, "DONE\nCost: USD 8,400")
    next_day(desk, EXEC, cr_id, "APPROVED")
    assert desk.stage(cr_id) == "customer_approval", "the same stage, a second round"
    [_, second] = request_to(desk, cr_id, REP, "customer_approval")
    desk.clock.advance(days=1)

    answer(desk, first, REP, "Approved")

    assert desk.stage(cr_id) == "customer_approval"
    assert desk.ledger()[-1].reason.startswith("refused: earlier_request: ")
    assert "an earlier round of Customer approval" in desk.ledger()[-1].reason
    body = text_of(email_of(desk.outbox()[-1]))
    assert f"answers our request of {day(first)} for Customer approval" in body
    assert f"come back to that stage since, on {day(second)}" in body
    assert "Your answer to it, REJECTED the cost is too high, was already recorded on" in body
    assert "It is waiting for your reply." in body
    assert f"answer our request of {day(second)}" in body
    assert not INTERNAL.search(body), INTERNAL.search(body)

    answer(desk, second, REP, "Approved")
    assert desk.stage(cr_id) == "jira_tracking"


def test_the_executives_first_cost_approval_request_is_closed_by_the_second(desk):
    cr_id = to_customer_approval(desk)
    next_day(desk, REP, cr_id, "REJECTED the cost is too high")
    next_day(desk, CSM, cr_id, "DONE\nCost: USD 8,400")
    [first, second] = request_to(desk, cr_id, EXEC, "executive_approval")
    desk.clock.advance(days=1)

    answer(desk, first, EXEC, "Approved")

    assert desk.stage(cr_id) == "executive_approval"
    assert desk.ledger()[-1].rules.startswith("hit: earlier_request;")
    body = text_of(email_of(desk.outbox()[-1]))
    assert "come back to that stage since" in body and "Your answer to it, APPROVED," in body
    answer(desk, second, EXEC, "Approved")
    assert desk.stage(cr_id) == "customer_approval"


def test_other_words_to_the_old_request_are_not_asked_to_be_confirmed_for_the_cost(desk):
    """ "Go ahead" is read as a likely approval; to the old request it is no question."""
    cr_id = to_customer_approval(desk)
    [old] = request_to(desk, cr_id, REP, "in_principle")
    desk.clock.advance(days=1)
    answer(desk, old, REP, "Go ahead, thanks!")
    assert desk.templates_sent()[-1] == ("explain/earlier_request", [REP, CSM])
    assert desk.ledger()[-1].reason.startswith("refused: earlier_request: ")
    desk.say(REP, cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "customer_approval", "no question was asked to confirm"


def test_a_token_in_the_reply_address_names_the_request_too(tmp_path):
    """With reply sub-addresses, a reply that lost its thread headers still names its mail."""
    security = {"policy": "sender", "reply_subaddress": True}
    desk = Desk(tmp_path, adjust=adjust(security=security))
    try:
        cr_id = to_customer_approval(desk)
        [old] = request_to(desk, cr_id, REP, "in_principle")
        reply_address = str(email_of(old)["Reply-To"])
        assert "+" in reply_address
        desk.clock.advance(days=1)
        msg = desk.mail(REP, f"RE: [{cr_id}] In-principle approval", "Approved")
        msg.replace_header("To", reply_address)
        desk.send(msg)
        assert desk.stage(cr_id) == "customer_approval"
        assert desk.ledger()[-1].rules.startswith("hit: earlier_request;")
    finally:
        desk.close()
