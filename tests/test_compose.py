"""Composed mail is the same bytes the stdlib's own SMTP policy makes: the header classes
are made once instead of per header, nothing else changes."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime
from email.policy import SMTP, default

import pytest

from mailflow.mail import compose
from mailflow.mail.compose import Composer

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
CASES = {
    "ascii": dict(to=["dana@acme.example"]),
    "names and copies": dict(
        to=["Zoë Ünal <zoe@acme.example>", "Dana Smith <dana@acme.example>"],
        cc=["Priya Nair <priya@ft.example>"],
        in_reply_to="<abc.123@acme.example>",
        references=[f"<ref{n}@ft.example>" for n in range(14)],
        reply_address="approvals+t0k3n@ft.example",
    ),
    "long non-ASCII subject": dict(
        to=["dana@acme.example"],
        rendered=(
            "Bitte bestätigen: Änderungsantrag für den nächtlichen Export " * 3,
            "Grüße\n",
            "<p>Grüße</p>",
        ),
    ),
    "attachment": dict(
        to=["dana@acme.example"], attachments=[("Angebot für Q4.pdf", "application/pdf", b"%PDF")]
    ),
}


def _build(case: dict) -> bytes:
    composer = Composer("approvals@ft.example", "Équipe FT Approvals", "ft.example")
    args = {"rendered": ("Please confirm\r\nBcc: x@evil.example", "Hello\n", "<p>Hello</p>")}
    args |= case
    msg = composer.build(
        template="explain/unclear",
        context={},
        cr_id=f"CR-{NOW.year}-0007",
        now=NOW,
        message_id=f"<cr-{NOW.year}-0007.fixed@ft.example>",
        **args,
    )
    data = msg.as_bytes()
    for boundary in {part.get_boundary() for part in msg.walk()} - {None}:
        data = data.replace(boundary.encode(), b"BOUNDARY")
    return data


@pytest.mark.parametrize("name", CASES)
def test_the_same_bytes_as_the_stdlib_policy(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _build(CASES[name])
    monkeypatch.setattr(compose, "_POLICY", SMTP.clone(max_line_length=998))
    assert fast == _build(CASES[name])


def test_headers_are_encoded_addresses_valid_and_threading_kept() -> None:
    data = _build(CASES["names and copies"])
    assert all(b < 128 for b in data), "8-bit text is encoded"
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    assert not re.search(r"(?m)^Bcc:", head), "a line break in a subject adds no header"
    msg = email.message_from_bytes(data, policy=default)
    assert str(msg["From"]) == "Équipe FT Approvals <approvals@ft.example>"
    assert [a.addr_spec for a in msg["To"].addresses] == ["zoe@acme.example", "dana@acme.example"]
    assert msg["To"].addresses[0].display_name == "Zoë Ünal"
    assert msg["In-Reply-To"] == "<abc.123@acme.example>"
    assert msg["References"].split() == [f"<ref{n}@ft.example>" for n in range(4, 14)]
    assert msg["Message-ID"] == f"<cr-{NOW.year}-0007.fixed@ft.example>"
