"""The loop guard: auto-replies, bounces, lists and our own mail are recognised."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailflow.mail.automated import Automated, bounced_message_ids, classify
from mailflow.mail.parse import Inbound, parse

MESSAGES = Path(__file__).parent / "messages"
OWN = ("cr@ft.example",)
OWN_DOMAIN = "mailflow.ft.example"


CR = f"CR-{datetime.now(UTC).year}-0042"  # a CR of the year the tests run in
SUBJECT = f"Re: [{CR}] Approval"


def mail(headers: str, body: str = "Hello\n", subject: str = SUBJECT) -> Inbound:
    raw = (
        "From: Priya Okafor <priya.okafor@acme.example>\n"
        "To: cr@ft.example\n"
        f"Subject: {subject}\n"
        "Message-ID: <abc123@acme.example>\n"
        f"{headers}\n\n{body}"
    )
    return parse(raw.replace("\n\n\n", "\n\n").encode())


def kind(msg: Inbound) -> str | None:
    result = classify(msg, OWN, OWN_DOMAIN)
    return result.kind if result else None


def test_a_person_replying_is_not_automated() -> None:
    assert classify(mail(""), OWN, OWN_DOMAIN) is None
    for name in (
        "outlook-approved-with-quote.eml",
        "apple-mail-reply.eml",
        "forwarded-approval.eml",
    ):
        assert classify(parse((MESSAGES / name).read_bytes()), OWN, OWN_DOMAIN) is None


@pytest.mark.parametrize(
    ("headers", "expected", "in_reason"),
    [
        ("Auto-Submitted: auto-replied", "auto-reply", "Auto-Submitted: auto-replied"),
        (
            "Auto-Submitted: auto-generated; owner-email=x@acme.example",
            "auto-reply",
            "auto-generated",
        ),
        ("Auto-Submitted: no", None, ""),
        ("Precedence: bulk", "auto-reply", "Precedence: bulk"),
        ("Precedence: junk", "auto-reply", "Precedence: junk"),
        ("Precedence: auto_reply", "auto-reply", "auto_reply"),
        ("X-Autoreply: yes", "auto-reply", "X-Autoreply"),
        ("X-Autorespond: Out of office", "auto-reply", "X-Autorespond"),
        ("X-Auto-Response-Suppress: All", "auto-reply", "X-Auto-Response-Suppress"),
        ("X-Auto-Response-Suppress: DR, OOF, AutoReply", "auto-reply", "OOF"),
        ("X-Auto-Response-Suppress: DR, RN, NRN", None, ""),
        ("Return-Path: <>", "auto-reply", "Return-Path"),
        ("List-Id: <cr-team.acme.example>", "list", "List-Id"),
        ("List-Unsubscribe: <mailto:leave@lists.acme.example>", "list", "List-Unsubscribe"),
        ("Precedence: list", "list", "Precedence: list"),
        (f"X-Mailflow-Id: {CR}", "own", "X-Mailflow-Id"),
    ],
)
def test_headers(headers: str, expected: str | None, in_reason: str) -> None:
    result = classify(mail(headers), OWN, OWN_DOMAIN)
    assert (result.kind if result else None) == expected
    if result:
        assert in_reason in result.reason


@pytest.mark.parametrize(
    "subject",
    [
        f"Automatic reply: [{CR}] Approval",
        f"Auto: [{CR}] Approval",
        f"Out of Office: [{CR}] Approval",
        f"[External] Automatic reply: [{CR}] Approval",
        "[EXT] Out of office",
        f"Abwesenheitsnotiz: [{CR}] Freigabe",
        f"Réponse automatique : [{CR}] Approbation",
        f"Respuesta automática: [{CR}]",
        f"Risposta automatica: [{CR}]",
        f"Automatisch antwoord: [{CR}]",
        f"Autosvar: [{CR}]",
        f"Automatyczna odpowiedź: [{CR}]",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    result = classify(mail("", subject=subject), OWN, OWN_DOMAIN)
    assert result is not None and result.kind == "auto-reply"
    assert "out-of-office subject" in result.reason


@pytest.mark.parametrize(
    "subject", ["Re: out of office plans for December", f"Re: [{CR}] Automation approval"]
)
def test_people_may_talk_about_absence(subject: str) -> None:
    assert classify(mail("", subject=subject), OWN, OWN_DOMAIN) is None


@pytest.mark.parametrize(
    "sender", ["MAILER-DAEMON@mx.acme.example", "noreply@acme.example", "no-reply@acme.example"]
)
def test_machine_senders(sender: str) -> None:
    msg = parse(f"From: {sender}\nTo: cr@ft.example\nSubject: hello\n\nbody\n".encode())
    result = classify(msg, OWN, OWN_DOMAIN)
    assert result is not None and sender.lower() in result.reason


def test_own_mail_by_address_and_by_message_id() -> None:
    ours = parse(b"From: CR Desk <CR@ft.example>\nSubject: x\n\nbody\n")
    assert classify(ours, OWN, OWN_DOMAIN) == Automated(
        "own", "sent from our own address cr@ft.example"
    )
    minted = parse(b"From: a@acme.example\nMessage-ID: <cr.1.x@Mailflow.FT.example>\n\nbody\n")
    assert kind(minted) == "own"
    assert classify(minted, OWN, None) is None


def test_postfix_dsn_is_a_bounce_and_names_the_original() -> None:
    msg = parse((MESSAGES / "dsn-bounce-postfix.eml").read_bytes())
    result = classify(msg, OWN, OWN_DOMAIN)
    assert result is not None and result.kind == "bounce"  # beats its Auto-Submitted header
    assert "delivery-status" in result.reason
    # the id the stored bounce names, as written in that file
    assert bounced_message_ids(msg) == ("<cr-2026-0042.11.Zt4r@mailflow.ft.example>",)


def test_rfc822_headers_dsn_and_inline_original() -> None:
    dsn = (
        "From: postmaster@acme.example\nTo: cr@ft.example\nSubject: Delivery Status Notification\n"
        "Message-ID: <dsn1@acme.example>\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nfailed\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
        "Final-Recipient: rfc822; x@acme.example\nAction: failed\nStatus: 5.1.1\n"
        "--b\nContent-Type: text/rfc822-headers\n\n"
        f"From: cr@ft.example\nMessage-ID: <{CR.lower()}.5.aa@mailflow.ft.example>\n--b--\n"
    )
    assert bounced_message_ids(parse(dsn.encode())) == (f"<{CR.lower()}.5.aa@mailflow.ft.example>",)
    inline = (
        "From: MAILER-DAEMON@mx.acme.example\nSubject: failure notice\n"
        "Message-ID: <q1@mx.acme.example>\n\nSorry, 550 5.1.1 no such user.\n"
        "--- Below this line is a copy of the message.\n\n"
        f"Message-ID: <{CR.lower()}.6.bb@mailflow.ft.example>\nSubject: CR\n"
    )
    msg = parse(inline.encode())
    assert kind(msg) == "bounce"
    assert bounced_message_ids(msg) == (f"<{CR.lower()}.6.bb@mailflow.ft.example>",)


def test_bounce_beats_auto_reply_headers() -> None:
    msg = mail(
        "Auto-Submitted: auto-replied\nReturn-Path: <>",
        body="550 5.1.1 user unknown",
        subject=f"Undeliverable: [{CR}] Approval",
    )
    assert kind(msg) == "bounce"


def test_out_of_office_fixture_without_auto_headers() -> None:
    msg = parse((MESSAGES / "out-of-office-no-headers.eml").read_bytes())
    assert kind(msg) == "auto-reply"


def test_a_person_mail_has_no_bounced_ids() -> None:
    assert bounced_message_ids(mail("")) == ()
