"""A decision that arrives before its stage is held, then applied when the stage comes.

The CSM's habit at the start of a CR: Priya mails Dana, the shared inbox copied, "Could
you approve it in principle?" while the CR is still at triage. Dana's reply-all
"Approved." is kept for the in-principle stage (she and Priya are told), and counts
there after her one CONFIRM. An answer given before the CR changed is not recorded.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlmodel import select

from mailflow.cli.main import main
from mailflow.store.tables import Decision, EarlyAnswer
from tests.helpers import EXAMPLE_CONFIG, INBOX, Desk
from tests.scenario.cast import CSM, ENGINEER, EXEC, REP, TEAM, send_file
from tests.security.kit import WALK, adjust, walk_to

# The executive's role asks only for the sender: his early answer is recorded as it is.
EXEC_BY_SENDER = adjust(security={"role_policies": {"executive": "sender"}})


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def csm_asks(desk: Desk, cr_id: str, to: str, body: str) -> EmailMessage:
    """Priya's own mail to someone, the shared inbox on CC, the CR's token in the subject."""
    msg = desk.mail(CSM, f"[{cr_id}] Loyalty export: in principle", body)
    msg.replace_header("To", to)
    msg["Cc"] = INBOX
    desk.send(msg)
    return msg


def reply_all(desk: Desk, parent: EmailMessage, sender: str, body: str) -> EmailMessage:
    msg = desk.mail(sender, f"RE: {parent['Subject']}", body)
    msg.replace_header("To", str(parent["From"]))
    msg["Cc"] = INBOX
    msg["In-Reply-To"] = msg["References"] = parent["Message-ID"]
    return msg


def text_to(desk: Desk, address: str, cr_id: str) -> str:
    mail = desk.last_mail_to(address, cr_id)
    assert mail is not None
    return str(mail.get_body(("plain",)).get_content())


def held(desk: Desk, cr_id: str) -> list[EarlyAnswer]:
    with desk.app.db.session() as s:
        return list(s.exec(select(EarlyAnswer).where(EarlyAnswer.cr_id == cr_id)).all())


def decisions(desk: Desk, cr_id: str) -> list[tuple[str, str, str]]:
    with desk.app.db.session() as s:
        rows = s.exec(select(Decision).where(Decision.cr_id == cr_id)).all()
        return [(d.stage, d.actor, d.verb) for d in rows]


def test_danas_approval_at_triage_is_held_and_counts_after_one_confirm(desk):
    cr_id = desk.open_cr()
    assert desk.stage(cr_id) == "triage"
    ask = csm_asks(desk, cr_id, REP, "Hi Dana,\n\nCould you approve it in principle?")
    start = len(desk.outbox())

    # Dana answers all while the CR is at triage: kept, not refused; she and Priya told.
    desk.send(reply_all(desk, ask, REP, "Approved.\n\n> Could you approve it in principle?"))
    entry = desk.ledger()[-1]
    assert (entry.outcome, entry.rules.split(";")[0]) == ("applied", "hit: early_answer")
    assert entry.reason == f"held for in_principle: APPROVED from {REP} at triage"
    assert desk.stage(cr_id) == "triage"
    assert desk.templates_sent(start) == [("explain/early_held", [REP, CSM])]
    told = text_to(desk, REP, cr_id)
    assert "  In-principle approval\r\n" in told and "Nothing is needed from you now" in told
    assert "CONFIRM" in told and "> Approved." in told
    [row] = held(desk, cr_id)
    assert (row.stage, row.actor, row.verb, row.outcome) == ("in_principle", REP, "APPROVED", "")

    # The integration team says IS CR: the request goes out, and Dana is asked once.
    start = len(desk.outbox())
    desk.say(TEAM, cr_id, "IS CR")
    assert desk.stage(cr_id) == "in_principle"
    sent = desk.templates_sent(start)
    assert [t for t, _ in sent].count("explain/confirm_author") == 1
    assert ("explain/confirm_author", [REP, CSM]) in sent
    assert [t for t, _ in sent].index("request/in_principle") < len(sent) - 1
    assert held(desk, cr_id)[0].outcome == "asked"

    # Her CONFIRM records the in-principle approval; the executive's completes the stage.
    desk.say(REP, cr_id, "CONFIRM")
    assert desk.ledger()[-1].reason == "APPROVED at in_principle (confirmed)"
    assert ("in_principle", REP, "APPROVED") in decisions(desk, cr_id)
    desk.say(EXEC, cr_id, "APPROVED")
    assert desk.stage(cr_id) == "cr_document"


@pytest.mark.parametrize("by_sender", [True, False])
def test_the_executives_early_approval_applies_when_the_stage_comes(tmp_path, by_sender):
    """Recorded at once where his role asks only for the sender; where it asks for a reply
    token (which a mail before the stage cannot carry), asked once to CONFIRM."""
    desk = Desk(tmp_path, adjust=EXEC_BY_SENDER if by_sender else None)
    try:
        cr_id = desk.open_cr()
        desk.send(desk.mail(EXEC, f"[{cr_id}] in principle", "APPROVED"))
        assert desk.ledger()[-1].reason.startswith("held for in_principle: APPROVED")
        assert desk.templates_sent()[-1] == ("explain/early_held", [EXEC, CSM])
        start = len(desk.outbox())
        desk.say(TEAM, cr_id, "IS CR")
        assert desk.stage(cr_id) == "in_principle"
        sent = [t for t, _ in desk.templates_sent(start)]
        if by_sender:
            assert desk.cr(cr_id).votes == [["executive", "APPROVED"]]
            assert ("in_principle", EXEC, "APPROVED") in decisions(desk, cr_id)
            assert "notice/vote_recorded" in sent and "explain/confirm_author" not in sent
            assert held(desk, cr_id)[0].outcome == "recorded"
        else:
            assert desk.cr(cr_id).votes == []
            assert "explain/confirm_author" in sent
            desk.say(EXEC, cr_id, "CONFIRM")
            assert desk.cr(cr_id).votes == [["executive", "APPROVED"]]
        desk.say(REP, cr_id, "APPROVED")
        assert desk.stage(cr_id) == "cr_document"
    finally:
        desk.close()


def _cr_set(desk: Desk, cr_id: str, *args: str) -> None:
    """`mailflow cr set` as the CSM runs it, on the desk's own database."""
    folder = desk.app.settings.data_dir
    config = folder / "mailflow.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text().replace('data_dir = "mailflow-data"', f'data_dir = "{folder}"')
    )
    assert main(["cr", "set", cr_id, *args, "--by", CSM, "--config", str(config)]) == 0


def test_an_early_answer_is_dropped_when_the_cr_was_corrected_before_its_stage(desk, capsys):
    cr_id = desk.open_cr()
    ask = csm_asks(desk, cr_id, REP, "Dana, could you approve it in principle?")
    desk.send(reply_all(desk, ask, REP, "Approved."))
    assert desk.templates_sent()[-1] == ("explain/early_held", [REP, CSM])
    _cr_set(desk, cr_id, "description=Loyalty points and vouchers, nightly.")
    capsys.readouterr()
    start = len(desk.outbox())
    desk.say(TEAM, cr_id, "IS CR")
    assert desk.stage(cr_id) == "in_principle"
    sent = desk.templates_sent(start)
    assert ("explain/early_changed", [REP, CSM]) in sent
    assert "explain/confirm_author" not in [t for t, _ in sent]
    told = text_to(desk, REP, cr_id)
    assert "It has not been recorded" in told and "Please answer the request" in told
    assert "> Approved." in told
    assert held(desk, cr_id)[0].outcome == "dropped"
    assert desk.cr(cr_id).votes == []
    desk.say(REP, cr_id, "APPROVED")  # her answer to the request counts as ever
    assert desk.cr(cr_id).votes == [["customer_rep", "APPROVED"]]


def test_an_early_answer_is_dropped_when_a_reply_added_facts_before_its_stage(tmp_path):
    """The executive approves at the CR document stage; the impact analysis and the cost
    come before executive approval, so what he approved is not what he is asked about."""
    desk = Desk(tmp_path, adjust=EXEC_BY_SENDER)
    try:
        cr_id = walk_to(desk, "cr_document")
        desk.send(desk.mail(EXEC, f"[{cr_id}] go ahead from me", "APPROVED"))
        assert desk.ledger()[-1].reason.startswith("held for executive_approval: APPROVED")
        send_file(desk, CSM, cr_id, "DONE", "cr.docx", b"%PDF-1.4 test")
        for who, body, _attachment, _after in WALK[4:6]:
            desk.say(who, cr_id, body)
        assert desk.stage(cr_id) == "executive_approval"
        assert desk.templates_sent()[-1] == ("explain/early_changed", [EXEC, CSM])
        assert desk.cr(cr_id).stage == "executive_approval"
        assert ("executive_approval", EXEC, "APPROVED") not in decisions(desk, cr_id)
    finally:
        desk.close()


def test_an_early_answer_lapses_when_the_cr_ends_before_its_stage(desk):
    cr_id = desk.open_cr()
    desk.send(desk.mail(REP, f"[{cr_id}] in principle", "Approved."))
    desk.say(TEAM, cr_id, "NOT CR")
    assert desk.stage(cr_id) == "not_a_cr"
    assert held(desk, cr_id)[0].outcome == "lapsed"
    assert "explain/confirm_author" not in [t for t, _ in desk.templates_sent()]


@pytest.mark.parametrize(
    ("sender", "body", "refusal"),
    [
        ("mallory@evil.example", "Approved.", "not_authorized"),
        (REP, "Deployed", "refused: not_expected"),  # no stage of hers takes it
        (ENGINEER, "Approved", "refused: not_expected"),
        (REP, "HOLD", "refused: wrong_sender"),  # a command is never held
        (TEAM, "Approved", "refused: not_expected"),  # she acts here: answered as ever
    ],
)
def test_what_no_later_stage_of_the_sender_takes_is_refused_as_before(desk, sender, body, refusal):
    cr_id = desk.open_cr()
    desk.send(desk.mail(sender, f"[{cr_id}] in principle", body))
    assert desk.ledger()[-1].reason.startswith(refusal), desk.ledger()[-1].reason
    assert held(desk, cr_id) == []
    # Dana's own approval, the same way, is held: the rule is there, and passed these by.
    desk.send(desk.mail(REP, f"[{cr_id}] in principle", "Approved."))
    assert desk.ledger()[-1].rules.startswith("hit: early_answer")


def test_a_customers_approval_of_figures_she_was_not_shown_is_not_held(desk):
    """At executive approval the cost is FT's own: the customer's "Approved" then is no
    approval of it, so it is refused as before rather than kept for her stage."""
    cr_id = walk_to(desk, "executive_approval")
    desk.send(desk.mail(REP, f"[{cr_id}] approval", "Approved."))
    assert desk.ledger()[-1].reason.startswith("refused: wrong_sender")
    assert held(desk, cr_id) == []
    # Once FT approved it and she was shown the cost, her answer is the stage's as ever.
    desk.say(EXEC, cr_id, "APPROVED")
    desk.say(REP, cr_id, "APPROVED")
    assert desk.stage(cr_id) == "jira_tracking"
    # The same mail on a CR at triage is an in-principle approval to come: kept.
    other = desk.open_cr()
    desk.send(desk.mail(REP, f"[{other}] approval", "Approved."))
    assert [row.stage for row in held(desk, other)] == ["in_principle"]
