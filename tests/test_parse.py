"""parse(): any mail becomes an Inbound; only non-mail raises ParseError."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.errors import ParseError
from mailflow.mail.html_text import html_to_text
from mailflow.mail.mime import sanitize_filename
from mailflow.mail.parse import Inbound, message_ids, normalize_message_id, parse

MESSAGES = Path(__file__).parent / "messages"


def load(name: str) -> Inbound:
    return parse((MESSAGES / name).read_bytes())


def test_outlook_reply_headers_are_bare_lower_case_and_utc() -> None:
    raw = (MESSAGES / "outlook-approved-with-quote.eml").read_bytes()
    msg = parse(raw)
    assert msg.raw == raw
    assert msg.content_hash == hashlib.sha256(raw).hexdigest()
    assert msg.message_id == "<AM6PR04MB1234ABCD@AM6PR04MB1234.eurprd04.prod.outlook.example>"
    assert msg.from_addr == "priya.okafor@acme.example"
    assert msg.from_name == "Okafor, Priya"
    assert msg.to == ("cr@ft.example",)
    assert msg.cc == ("jonas.meyer@ft.example", "sam.lee@ft.example")
    assert msg.in_reply_to == "<cr-2026-0042.3.k7Qx@mailflow.ft.example>"
    assert msg.references == (
        "<cr-2026-0042.1.a1b2@mailflow.ft.example>",
        "<cr-2026-0042.3.k7Qx@mailflow.ft.example>",
    )
    assert msg.date == datetime(2026, 3, 3, 9, 14, 2, tzinfo=UTC)
    assert msg.subject.startswith(f"RE: [CR-{msg.date.year}-0042]")  # the CR of its own year
    assert "\r" not in msg.text
    assert msg.text.startswith("Approved, thanks.\n")
    assert msg.html is not None and "divRplyFwdMsg" in msg.html
    assert msg.header("thread-topic") is not None


def test_html_only_mail_is_converted_with_the_quote_marked() -> None:
    msg = load("gmail-html-only-approved.eml")
    assert msg.html is not None
    assert msg.text.startswith("Approved — please go ahead.\n")
    quoted = [line for line in msg.text.splitlines() if "APPROVED" in line]
    assert quoted and all(line.startswith(">") for line in quoted)


def test_base64_latin1_body_and_encoded_headers_are_decoded() -> None:
    msg = load("base64-latin1.eml")
    assert msg.text.startswith("Approuvé.\n\nCordialement,\nHélène Dubois")
    assert msg.from_name == "Hélène Dubois"
    assert msg.from_addr == "helene.dubois@acme.example"
    assert "étape 3" in msg.subject


def test_quoted_printable_utf8_body() -> None:
    msg = load("quoted-printable-not-approved.eml")
    assert msg.text.startswith("Not approved yet – I don’t approve the cost before the PO arrives.")


def test_eight_bit_headers_and_body() -> None:
    msg = load("thunderbird-reply-german.eml")
    assert msg.from_name == "Jörg Weiß"
    assert "Rechnungsnummer fehlen" in msg.text


def test_attachments_inline_images_and_hostile_names() -> None:
    msg = load("inline-image-and-hostile-filename.eml")
    names = [(a.filename, a.content_type) for a in msg.attachments]
    assert names == [("logo123.png", "image/png"), ("cr-document.pdf", "application/pdf")]
    assert msg.attachments[1].payload.startswith(b"%PDF-1.4")
    assert msg.attachments[0].payload.startswith(b"\x89PNG")
    assert msg.text.startswith("DONE, document attached.")


def test_winmail_dat_is_kept_as_an_attachment() -> None:
    msg = load("winmail-dat.eml")
    assert [(a.filename, a.content_type) for a in msg.attachments] == [
        ("winmail.dat", "application/ms-tnef")
    ]
    assert msg.attachments[0].payload.startswith(b"\x78\x9f\x3e\x22")
    assert msg.text == "DONE - interface document attached.\n"


def test_a_bounce_keeps_the_original_as_an_attachment_not_as_body() -> None:
    msg = load("dsn-bounce-postfix.eml")
    assert "Please reply with APPROVED" not in msg.text
    types = [a.content_type for a in msg.attachments]
    assert types == ["message/delivery-status", "message/rfc822"]
    assert b"<cr-2026-0042.11.Zt4r@mailflow.ft.example>" in msg.attachments[1].payload


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\evil.exe", "evil.exe"),
        ("re\x00port\x1b[31m.pdf", "report[31m.pdf"),
        ("..", ""),
        (".hidden", "hidden"),
        ("Angebot für Acme.pdf", "Angebot für Acme.pdf"),
    ],
)
def test_sanitize_filename(name: str, safe: str) -> None:
    assert sanitize_filename(name) == safe


def test_message_id_forms() -> None:
    assert normalize_message_id(" <a@b> ") == "<a@b>"
    assert normalize_message_id("a@b") == "<a@b>"
    assert normalize_message_id(None) == ""
    assert message_ids("<a@b> <c@d>\r\n <a@b>") == ("<a@b>", "<c@d>")


def test_missing_headers_degrade_instead_of_raising() -> None:
    msg = parse(b"Subject: hello\n\nAPPROVED\n")
    assert (msg.message_id, msg.from_addr, msg.date, msg.in_reply_to) == ("", "", None, None)
    assert msg.text == "APPROVED\n"
    assert msg.content_hash == hashlib.sha256(b"Subject: hello\n\nAPPROVED\n").hexdigest()


def test_a_zoneless_date_is_taken_as_utc_and_junk_dates_are_none() -> None:
    zoneless = parse(b"Date: Tue, 3 Mar 2026 10:00:00 -0000\nSubject: x\n\nbody")
    assert zoneless.date == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert parse(b"Date: yesterday-ish\nSubject: x\n\nbody").date is None


def test_unknown_charset_and_broken_base64_still_parse() -> None:
    raw = (
        b"From: a@acme.example\nSubject: =?x-unknown?Q?caf=E9?=\n"
        b"Content-Type: text/plain; charset=x-made-up\nContent-Transfer-Encoding: base64\n\n"
        b"QXBwcm92ZWQ=!!!not base64\n"
    )
    msg = parse(raw)
    assert msg.from_addr == "a@acme.example"
    assert isinstance(msg.text, str)


@pytest.mark.parametrize(
    "raw", [b"", b"   \r\n", b"just some words, no headers at all", b"\x00\x01\x02\xff"]
)
def test_bytes_that_are_not_mail_raise_parse_error(raw: bytes) -> None:
    with pytest.raises(ParseError) as err:
        parse(raw)
    assert str(err.value)


def test_html_to_text_marks_outlook_history_as_quoted() -> None:
    html = (
        "<div>DONE</div><div id='appendonsend'></div><hr>"
        "<div id='divRplyFwdMsg'><b>From:</b> CR Desk</div><p>Reply APPROVED</p>"
    )
    assert html_to_text(html).splitlines()[0] == "DONE"
    assert all(line.startswith(">") for line in html_to_text(html).splitlines()[1:] if line)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_nothing_but_parse_error(raw: bytes) -> None:
    try:
        msg = parse(raw)
    except ParseError:
        return
    assert isinstance(msg, Inbound)


_header_line = st.tuples(
    st.sampled_from(["From", "To", "Cc", "Subject", "Date", "Message-ID", "Content-Type",
                     "Content-Transfer-Encoding", "References", "In-Reply-To"]),
    st.binary(max_size=80),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_header_line, min_size=1, max_size=8), st.binary(max_size=500))
def test_mangled_headers_and_bodies_still_parse(headers: list, body: bytes) -> None:
    raw = b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers)
    try:
        msg = parse(raw + b"\r\n" + body)
    except ParseError:
        return
    assert msg.date is None or msg.date.tzinfo is not None
    assert all(a == a.lower() for a in (msg.from_addr, *msg.to, *msg.cc))
