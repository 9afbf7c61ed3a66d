"""One message at a time through the real pipeline, Maildir and SQLite: the invariants."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from mailflow.chain import post
from mailflow.service.daemon import Daemon
from mailflow.store.tables import ChangeRequest, Decision
from tests.helpers import Desk


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def test_a_csm_mail_opens_a_cr_and_asks_for_triage(desk):
    cr_id = desk.open_cr(subject="Fwd: Loyalty points in export")
    assert cr_id == f"CR-{desk.clock().year}-0001"
    cr = desk.cr(cr_id)
    assert cr.stage == "triage" and cr.account == "acme" and cr.title == "Loyalty points in export"
    assert "Please add loyalty points." in cr.description and "Customer:" not in cr.description
    sent = desk.templates_sent()
    assert ("request/triage", ["integration@ft.example", "priya@ft.example"]) in sent
    assert ("notice/opened", ["priya@ft.example"]) in sent
    files = desk.sent_files()
    assert len(files) == 3, "the outbox was delivered to the sent Maildir, one copy per person"
    assert all(f"[{cr_id}]".encode() in f.read_bytes() for f in files)


def test_the_customer_comes_from_the_recipients_when_there_is_no_customer_line(desk):
    cr_id = desk.open_cr(body="Please add loyalty points.", cc="dana@acme.example")
    assert desk.cr(cr_id).account == "acme"


def test_an_unknown_customer_line_is_answered_and_opens_nothing(desk):
    desk.open_cr(body="Customer: Globex\n\nsomething")
    with desk.app.db.session() as s:
        assert s.exec(select(ChangeRequest)).first() is None
    assert desk.templates_sent() == [("explain/missing_field", ["priya@ft.example"])]
    assert desk.ledger()[0].outcome == "answered"


def test_a_stranger_without_a_cr_is_answered_once_a_day(desk):
    for _ in range(3):
        desk.send(desk.mail("someone@acme.example", "Hello", "Can you change the export?"))
    assert desk.templates_sent() == [("notice/no_cr", ["someone@acme.example"])]
    assert [e.outcome for e in desk.ledger()] == ["answered", "ignored", "ignored"]
    desk.clock.advance(days=1, minutes=1)
    desk.send(desk.mail("someone@acme.example", "Hello", "again"))
    assert len(desk.templates_sent()) == 2


def test_an_unknown_cr_token_is_explained(desk):
    unknown = f"CR-{desk.clock.now.year}-0999"  # the desk's clock's year: no such CR
    desk.send(desk.mail("dana@acme.example", f"RE: [{unknown}] approve", "APPROVED"))
    assert desk.templates_sent() == [("explain/unknown_cr", ["dana@acme.example"])]


def test_a_reply_without_the_token_is_tied_by_its_thread_headers(desk):
    cr_id = desk.open_cr()
    desk.say("integration@ft.example", cr_id, "IS CR", token=False)
    assert desk.stage(cr_id) == "in_principle"


def test_the_same_message_twice_has_one_effect(desk):
    cr_id = desk.open_cr()
    msg = desk.reply("integration@ft.example", cr_id, "IS CR")
    desk.send(msg)
    before = len(desk.outbox())
    desk.send(msg)
    assert desk.stage(cr_id) == "in_principle"
    assert len(desk.outbox()) == before
    assert len([e for e in desk.ledger() if e.sender == "integration@ft.example"]) == 1
    assert len(list((desk.root / "processed").glob("*/*"))) == 3


def test_same_message_id_with_other_bytes_is_recorded_as_a_duplicate(desk):
    cr_id = desk.open_cr()
    msg = desk.reply("integration@ft.example", cr_id, "IS CR")
    desk.send(msg)
    msg["X-Relayed"] = "again"
    desk.send(msg)
    entries = [e for e in desk.ledger() if e.sender == "integration@ft.example"]
    assert [e.outcome for e in entries] == ["applied", "ignored"]
    assert entries[1].reason.startswith("duplicate of ledger entry")
    assert len([d for d in _decisions(desk) if d.verb == "IS CR"]) == 1


def test_an_exception_mid_message_leaves_nothing_half_applied(desk, monkeypatch):
    cr_id = desk.open_cr()
    outbox_before = len(desk.outbox())
    events_before = len(desk.events(cr_id))
    entries_before = len(desk.ledger())
    real = post.queue_mail
    calls = {"n": 0}

    def explode_on_second_mail(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(post, "queue_mail", explode_on_second_mail)
    desk.say("integration@ft.example", cr_id, "IS CR")
    assert calls["n"] == 2
    assert desk.stage(cr_id) == "triage", "the stage change was rolled back"
    assert len(desk.outbox()) == outbox_before and len(desk.events(cr_id)) == events_before
    assert not [d for d in _decisions(desk) if d.verb == "IS CR"]
    assert len(desk.ledger()) == entries_before, "no outcome yet: it is tried again"
    assert len(list((desk.root / "inbox").glob("*/*"))) == 1
    attempts = desk.app.settings.quarantine_after_attempts
    for _ in range(attempts - 1):  # a new daemon each time: the count survives restarts
        calls["n"] = 0
        Daemon(desk.app, desk.source, desk.sink, clock=desk.clock).run(once=True)
    last = desk.ledger()[-1]
    assert last.outcome == "quarantined" and "disk on fire" in last.reason
    assert len(list((desk.root / "quarantine").glob("*/*"))) == 1
    assert list((desk.root / "inbox").glob("*/*")) == []
    monkeypatch.setattr(post, "queue_mail", real)
    desk.say("integration@ft.example", cr_id, "IS CR\nThanks.")
    assert desk.stage(cr_id) == "in_principle", "the loop goes on after a failure"


@pytest.mark.parametrize(
    "fault",
    [
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("database or disk is full"),
        sqlite3.OperationalError("unable to open database file"),
    ],
    ids=["locked", "full", "unreachable"],
)
def test_a_fault_of_the_database_is_retried_never_quarantined(desk, monkeypatch, fault):
    cr_id = desk.open_cr()
    real = post.queue_mail

    def database_fails(*args, **kwargs):
        raise OperationalError("INSERT INTO outbox", {}, fault)

    monkeypatch.setattr(post, "queue_mail", database_fails)
    for _ in range(desk.app.settings.quarantine_after_attempts + 2):
        desk.say("integration@ft.example", cr_id, "IS CR") if _ == 0 else desk.daemon.cycle()
        desk.daemon.pauses.blocked_until = 0.0  # the test does not wait out the pause
    assert [e.outcome for e in desk.ledger()].count("quarantined") == 0
    assert len(list((desk.root / "inbox").glob("*/*"))) == 1, "the mail waits at its source"
    monkeypatch.setattr(post, "queue_mail", real)
    desk.daemon.run(once=True)
    assert desk.stage(cr_id) == "in_principle"
    assert list((desk.root / "inbox").glob("*/*")) == []


def test_bytes_that_are_not_mail_are_quarantined(desk):
    desk.send(b"\x00\x01 garbage without headers")
    entry = desk.ledger()[0]
    assert entry.outcome == "quarantined" and "unreadable" in entry.reason
    assert desk.templates_sent() == []


def test_auto_replies_are_recorded_on_the_cr_and_never_answered(desk):
    cr_id = desk.open_cr()
    desk.say("integration@ft.example", cr_id, "IS CR")
    before = len(desk.outbox())
    desk.say(
        "amardeep@ft.example",
        cr_id,
        "I am out of office. APPROVED items wait.",
        Auto_Submitted="auto-replied",
    )
    assert len(desk.outbox()) == before
    assert desk.stage(cr_id) == "in_principle"
    assert desk.events(cr_id, {"auto-reply"})
    assert desk.ledger()[-1].outcome == "ignored"


def test_our_own_mail_coming_back_is_ignored(desk):
    cr_id = desk.open_cr()
    own = desk.outbox(cr_id)[0].data
    before = len(desk.outbox())
    desk.send(own)
    assert len(desk.outbox()) == before
    assert desk.ledger()[-1].reason.startswith("own")


def test_approved_only_in_the_quoted_request_is_not_a_decision(desk):
    cr_id = desk.open_cr()
    desk.say("integration@ft.example", cr_id, "IS CR")
    desk.say("dana@acme.example", cr_id, "Let me look at this next week.")
    assert desk.stage(cr_id) == "in_principle"
    assert desk.templates_sent()[-1] == (
        "explain/unclear",
        ["dana@acme.example", "priya@ft.example"],
    )
    assert not [d for d in _decisions(desk) if d.verb == "APPROVED"]


@pytest.mark.parametrize(
    "body", ["Not approved.", "I can't approve this yet", "don't approve yet", "We do not approve"]
)
def test_negations_are_never_approvals(desk, body):
    cr_id = desk.open_cr()
    desk.say("integration@ft.example", cr_id, "IS CR")
    desk.say("dana@acme.example", cr_id, body)
    assert not [d for d in _decisions(desk) if d.verb == "APPROVED"]
    assert desk.templates_sent()[-1][0] == "explain/unclear"


def test_wrong_sender_is_refused_and_recorded(desk):
    cr_id = desk.open_cr()
    desk.say("dana@acme.example", cr_id, "IS CR")
    assert desk.stage(cr_id) == "triage"
    assert desk.templates_sent()[-1] == (
        "explain/wrong_sender",
        ["dana@acme.example", "priya@ft.example"],
    )
    assert "wrong_sender" in desk.events(cr_id, {"refusal"})[-1].detail


def test_a_stranger_replying_on_a_cr_is_refused(desk):
    cr_id = desk.open_cr()
    desk.say("mallory@evil.example", cr_id, "IS CR")
    assert desk.stage(cr_id) == "triage"
    # A stranger's answer says nothing about the CR (see tests/security/); the CSM hears
    # of it in a note of her own.
    assert desk.templates_sent()[-2:] == [
        ("explain/not_authorized", ["mallory@evil.example"]),
        ("notice/stranger_note", ["priya@ft.example"]),
    ]
    assert "not_authorized" in desk.events(cr_id, {"refusal"})[-1].detail


def test_missing_field_and_already_decided_are_explained(desk):
    cr_id = desk.open_cr()
    desk.say("integration@ft.example", cr_id, "IS CR")
    desk.say("integration@ft.example", cr_id, "IS CR")
    assert desk.templates_sent()[-1] == (
        "explain/not_expected",
        ["integration@ft.example", "priya@ft.example"],
    )
    desk.say("dana@acme.example", cr_id, "Approved")
    desk.say("dana@acme.example", cr_id, "Approved")
    assert desk.templates_sent()[-1] == (
        "explain/already_decided",
        ["dana@acme.example", "priya@ft.example"],
    )
    desk.say("amardeep@ft.example", cr_id, "approve")
    desk.say("priya@ft.example", cr_id, "DONE", attachment="cr.docx")
    desk.say("integration@ft.example", cr_id, "DONE\nApproach: new column\nEffort: about twelve")
    assert desk.templates_sent()[-1] == (
        "explain/bad_field",
        ["integration@ft.example", "priya@ft.example"],
    )
    desk.say("integration@ft.example", cr_id, "DONE\nApproach: new column")
    assert desk.templates_sent()[-1] == (
        "explain/missing_field",
        ["integration@ft.example", "priya@ft.example"],
    )
    assert desk.stage(cr_id) == "impact_analysis"


def test_attachments_are_stored_once_by_hash_and_linked(desk):
    from mailflow.store.message_tables import Blob
    from mailflow.store.tables import AttachmentLink

    cr_id = desk.open_cr()
    for verb, who in (
        ("IS CR", "integration@ft.example"),
        ("APPROVED", "dana@acme.example"),
        ("APPROVED", "amardeep@ft.example"),
    ):
        desk.say(who, cr_id, verb)
    desk.say("priya@ft.example", cr_id, "DONE", attachment="cr.pdf")
    with desk.app.db.session() as s:
        links = s.exec(select(AttachmentLink)).all()
        blobs = s.exec(select(Blob)).all()
    assert [(lnk.filename, lnk.stage) for lnk in links] == [("cr.pdf", "cr_document")]
    # Blobs also hold the raw messages kept as evidence; the file is stored once.
    files = [b for b in blobs if b.sha256 == links[0].sha256]
    assert len(files) == 1 and files[0].size == len(b"%PDF-1.4 test")


def _decisions(desk):
    with desk.app.db.session() as s:
        return list(s.exec(select(Decision)).all())


@pytest.mark.parametrize(
    ("body", "stage_after"),
    [
        ("Passed - but rejected by the customer", "qa_testing"),
        ("Passed. Done.", "integration_deploy"),
    ],
)
def test_two_verbs_are_settled_by_the_stage_only_towards_caution(desk, body, stage_after):
    from mailflow.reading.reply import read_reply

    read = read_reply(desk.app.workflow, "qa_testing", body)
    moved = getattr(read, "verb", None) == "PASSED"
    assert moved == (stage_after == "integration_deploy")


def _dsn_for(row_message_id: str, recipient: str, cr_id: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>\r\n"
        "To: approvals@ft.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.acme.example>\r\nAuto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.acme.example\r\n\r\nFinal-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: approvals@ft.example\r\nTo: {recipient}\r\nMessage-ID: {row_message_id}\r\n"
        f"Subject: [{cr_id}] Is this a change request?\r\n--b1--\r\n"
    ).encode()


def test_a_bounce_of_our_mail_is_recorded_on_its_cr_and_never_answered(desk):
    cr_id = desk.open_cr()
    row = next(r for r in desk.outbox(cr_id) if r.template == "request/triage")
    before = len(desk.outbox())
    desk.send(_dsn_for(row.message_id, row.recipients[0], cr_id))
    assert len(desk.outbox()) == before, "a bounce is never answered"
    entry = desk.ledger()[-1]
    assert entry.outcome == "ignored" and entry.reason.startswith("bounce")
    assert entry.cr_id == cr_id
    notes = desk.events(cr_id, {"bounce"})
    assert len(notes) == 1 and f"request/triage to {row.recipients[0]} bounced" in notes[0].detail
    bounced = next(r for r in desk.outbox(cr_id) if r.message_id == row.message_id)
    assert bounced.status == "bounced"


def test_a_winmail_dat_instead_of_the_document_is_explained(desk):
    cr_id = desk.open_cr()
    for who, text in (
        ("integration@ft.example", "IS CR"),
        ("dana@acme.example", "Approved"),
        ("amardeep@ft.example", "Approved"),
    ):
        desk.say(who, cr_id, text)
    msg = desk.reply("priya@ft.example", cr_id, "DONE - document attached")
    msg.add_attachment(
        b"\x78\x9f\x3e\x22 tnef", maintype="application", subtype="ms-tnef", filename="winmail.dat"
    )
    desk.send(msg)
    assert desk.stage(cr_id) == "cr_document"
    assert desk.templates_sent()[-1] == ("explain/unreadable_attachment", ["priya@ft.example"])
    desk.say("priya@ft.example", cr_id, "DONE, see attached.", attachment="cr.pdf")
    assert desk.stage(cr_id) == "impact_analysis"
