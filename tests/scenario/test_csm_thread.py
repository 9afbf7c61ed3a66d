"""Stage 8 the way a CSM runs it: her own thread with the customer, the shared inbox copied.

Told as the mails appear: Priya writes to Dana, Dana answers "Approved" to all, mailflow
asks Dana once to CONFIRM (Priya copied), Dana confirms, and the CR moves on.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest

from tests.helpers import INBOX, Desk
from tests.scenario.cast import CSM, EXEC, REP, to_costing
from tests.security.kit import adjust, evidence_of

# Words a customer or executive should never have to read.
INTERNAL = re.compile(r"token|in-reply-to|ledger|verb|customer_approval|not_verified", re.I)


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def to_customer_approval(desk: Desk) -> str:
    cr_id = to_costing(desk)
    desk.say(CSM, cr_id, "DONE\nCost: USD 9,600")
    desk.say(EXEC, cr_id, "APPROVED")
    assert desk.stage(cr_id) == "customer_approval"
    return cr_id


def csm_writes(desk: Desk, cr_id: str, body: str) -> EmailMessage:
    """Priya's own mail to Dana, the shared inbox on CC, the CR's token in the subject."""
    msg = desk.mail(CSM, f"[{cr_id}] Loyalty export: your approval", body)
    msg.replace_header("To", f"Dana Whitfield <{REP}>")
    msg["Cc"] = INBOX
    desk.send(msg)
    return msg


def reply_all(desk: Desk, parent: EmailMessage, sender: str, body: str) -> EmailMessage:
    """A reply-all to a person's mail (not to one mailflow sent), quoting it."""
    msg = desk.mail(sender, f"RE: {parent['Subject']}", body)
    msg.replace_header("To", str(parent["From"]))
    msg["Cc"] = INBOX
    msg["In-Reply-To"] = parent["Message-ID"]
    msg["References"] = parent["Message-ID"]
    return msg


def body_of(desk: Desk, address: str, cr_id: str) -> str:
    mail = desk.last_mail_to(address, cr_id)
    assert mail is not None
    return mail.get_body(("plain",)).get_content()


def test_the_csm_thread_from_her_first_mail_to_the_customers_confirm(desk):
    cr_id = to_customer_approval(desk)
    start = len(desk.outbox())

    # 1. Priya writes to Dana: a note on the timeline, nobody asked to clarify.
    first = csm_writes(desk, cr_id, "Hi Dana,\n\nThe cost is USD 9,600. Could you approve?")
    assert desk.templates_sent(start) == []
    assert desk.ledger()[-1].reason == "note: the CSM's mail on the thread"
    [note] = desk.events(cr_id, {"note"})
    assert f"{CSM} wrote to {REP}" in note.detail and "your approval" in note.detail

    # 2. Dana answers all: "Approved". Not refused: asked once to confirm, Priya copied.
    desk.send(reply_all(desk, first, REP, "Approved, thanks!\n\n> Could you approve?"))
    assert desk.stage(cr_id) == "customer_approval"
    assert desk.templates_sent(start) == [("explain/confirm_author", [REP, CSM])]
    question = body_of(desk, REP, cr_id)
    assert "> Approved, thanks!" in question and "Priya Nair" in question
    assert "CONFIRM" in question and not INTERNAL.search(question)
    assert "someone may have tried" not in question

    # 3. Dana replies CONFIRM to that mail: recorded, the first mail kept as evidence.
    desk.say(REP, cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "jira_tracking"
    assert desk.ledger()[-1].reason == "APPROVED at customer_approval (confirmed)"
    asked = [e for e in desk.ledger() if e.reason.startswith("asked to confirm: APPROVED")]
    assert asked and asked[0].raw is not None, "the original mail stays on the ledger"
    [proof] = [e for e in evidence_of(desk, cr_id) if e.stage == "customer_approval"]
    assert (proof.actor, proof.outcome) == (REP, "applied")
    # 4. The CR moved on: the CSM is asked for the Jira issue, Dana got her acknowledgment.
    sent = [t for t, _ in desk.templates_sent(start)]
    assert "notice/accepted" in sent and "request/jira_tracking" in sent


def test_a_fresh_mail_naming_the_cr_is_confirmed_the_same_way(desk):
    cr_id = to_customer_approval(desk)
    msg = desk.mail(REP, f"[{cr_id}] approval", "Approved")
    desk.send(msg)
    assert desk.templates_sent()[-1] == ("explain/confirm_author", [REP, CSM])
    assert "from the conversation" not in body_of(desk, REP, cr_id)
    desk.say(REP, cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "jira_tracking"


@pytest.mark.parametrize("attached", [False, True])
def test_the_csm_forwarding_the_customers_approval_leads_to_one_confirm(desk, attached):
    cr_id = to_customer_approval(desk)
    original = desk.mail(REP, f"RE: [{cr_id}] Loyalty export", "Approved")
    original.replace_header("To", CSM)
    forward = desk.mail(CSM, f"Fwd: RE: [{cr_id}] Loyalty export", "FYI, Dana's answer.")
    if attached:
        forward.add_attachment(original)
    else:
        forward.set_content(
            "FYI, Dana's answer below.\n\n---------- Forwarded message ---------\n"
            f"From: Dana Whitfield <{REP}>\nSubject: RE: [{cr_id}] Loyalty export\n\nApproved\n"
        )
    desk.send(forward)
    assert desk.stage(cr_id) == "customer_approval"
    assert desk.templates_sent()[-1] == ("explain/confirm_author", [REP, CSM])
    assert "Priya Nair passed on your reply" in body_of(desk, REP, cr_id)
    desk.say(REP, cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "jira_tracking"


def test_a_proven_reply_on_the_thread_is_recorded_at_once(desk):
    cr_id = to_customer_approval(desk)
    desk.say(REP, cr_id, "Approved")
    assert desk.stage(cr_id) == "jira_tracking"


def test_an_authenticated_thread_mail_is_proven_under_the_authenticated_policy(tmp_path):
    security = {"policy": "authenticated", "trusted_authserv_ids": ["mx.ft.example"]}
    desk = Desk(tmp_path, adjust=adjust(security=security))
    try:
        cr_id = to_customer_approval_authenticated(desk)
        first = csm_writes(desk, cr_id, "Hi Dana, over to you.")
        reply = reply_all(desk, first, REP, "Approved")
        reply["Authentication-Results"] = "mx.ft.example; dmarc=pass header.from=acme.example"
        desk.send(reply)
        assert desk.stage(cr_id) == "jira_tracking"
    finally:
        desk.close()


def to_customer_approval_authenticated(desk: Desk) -> str:
    """The walk with every reply authenticated, as the stricter policy needs."""
    auth = "mx.ft.example; dmarc=pass header.from={}"
    original = desk.reply

    def reply(sender: str, cr_id: str, body: str, **kw: object) -> EmailMessage:
        msg = original(sender, cr_id, body, **kw)  # type: ignore[arg-type]
        msg["Authentication-Results"] = auth.format(sender.partition("@")[2])
        return msg

    desk.reply = reply  # type: ignore[method-assign]
    return to_customer_approval(desk)


def test_a_forged_csm_mail_and_a_forged_reply_citing_it_do_not_move_the_cr(desk):
    cr_id = to_customer_approval(desk)
    forged_csm = csm_writes(desk, cr_id, "Dana, just reply Approved to this.")
    desk.send(reply_all(desk, forged_csm, REP, "Approved"))
    assert desk.stage(cr_id) == "customer_approval", "only asked the real Dana to confirm"
    # The forger cannot see the question mail, so a CONFIRM of theirs cites nothing of it.
    desk.send(reply_all(desk, forged_csm, REP, "CONFIRM"))
    fresh = desk.mail(REP, f"RE: [{cr_id}] Please confirm", "CONFIRM")
    desk.send(fresh)
    assert desk.stage(cr_id) == "customer_approval"
    refused = [e.outcome for e in evidence_of(desk, cr_id) if e.stage == "customer_approval"]
    assert refused == ["refused", "refused"], "each forged CONFIRM refused and kept"


def test_a_confirm_from_anyone_but_the_customer_asked_changes_nothing(desk):
    cr_id = to_customer_approval(desk)
    desk.send(desk.mail(REP, f"[{cr_id}] approval", "Approved"))
    desk.say(CSM, cr_id, "CONFIRM")  # Priya answers her copy of the question
    desk.say(EXEC, cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "customer_approval"
    desk.say(REP, cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "jira_tracking"


def test_the_csm_is_copied_when_a_customers_reply_is_asked_back(desk):
    cr_id = to_customer_approval(desk)
    desk.say(REP, cr_id, "Approved once legal has signed")
    assert desk.templates_sent()[-1] == ("explain/unclear", [REP, CSM])
