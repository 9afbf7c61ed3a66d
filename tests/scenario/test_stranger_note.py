"""Someone outside a CR writes about it: they get the stranger answer, which names no one,
and the account's CSM gets a separate short note, at most once a day per CR and sender."""

from __future__ import annotations

import email
from email.policy import default as default_policy
from pathlib import Path

import pytest

from tests.helpers import Desk
from tests.scenario.cast import CSM, REP, TEAM

STRANGER = "eve@elsewhere.example"


@pytest.fixture
def desk(tmp_path: Path):
    d = Desk(tmp_path)
    yield d
    d.close()


def stranger_writes(desk: Desk, cr_id: str, body: str = "Approved") -> list[tuple[str, list[str]]]:
    before = len(desk.outbox())
    desk.send(desk.mail(STRANGER, f"RE: [{cr_id}] Loyalty export", body))
    about = {"explain/not_authorized", "notice/stranger_note"}  # reminders may fall due
    return [(t, to) for t, to in desk.templates_sent(before) if t in about]


def text_to(desk: Desk, address: str, template: str) -> str:
    """The headers and plain text of the newest mail of this template; it went to `address`."""
    row = next(r for r in reversed(desk.outbox()) if r.template == template)
    assert row.recipients == [address]
    msg = email.message_from_bytes(row.data, policy=default_policy)
    heads = "".join(f"{k}: {v}\n" for k, v in msg.items())
    text = msg.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    return heads + " ".join(text.split())  # wrapped lines joined


def test_the_csm_is_told_apart_and_the_stranger_learns_nothing_about_her(desk: Desk) -> None:
    cr_id = desk.open_cr()
    desk.say(TEAM, cr_id, "IS CR")
    sent = stranger_writes(desk, cr_id)
    assert sorted(sent) == [("explain/not_authorized", [STRANGER]), ("notice/stranger_note", [CSM])]
    answer = text_to(desk, STRANGER, "explain/not_authorized")
    assert "priya" not in answer.lower() and "Customer Success Manager (CSM)" in answer
    assert "X-Mailflow-CR" not in answer and "Triage" not in answer
    note = text_to(desk, CSM, "notice/stranger_note")
    assert f"{STRANGER} wrote to the change-request desk" in note and cr_id in note
    assert "This is the only answer this address receives today" not in note, "not a copy"
    assert desk.stage(cr_id) == "in_principle"


def test_one_note_per_cr_and_sender_a_day(desk: Desk) -> None:
    first = desk.open_cr()
    second = desk.open_cr(subject="Gift cards", body="Customer: acme\n\nGift cards.")
    assert ("notice/stranger_note", [CSM]) in stranger_writes(desk, first)
    desk.clock.advance(hours=2)
    assert stranger_writes(desk, first, "Approved, again") == [], "no second note, no answer"
    assert stranger_writes(desk, second) == [("notice/stranger_note", [CSM])], "another CR"
    desk.clock.advance(days=1)
    again = stranger_writes(desk, first, "Still approved")
    assert sorted(again) == [
        ("explain/not_authorized", [STRANGER]),
        ("notice/stranger_note", [CSM]),
    ]
    notes = [e for e in desk.events(first, {"mail"}) if "notice/stranger_note" in e.detail]
    assert len(notes) == 2


def test_a_participant_is_never_taken_for_a_stranger(desk: Desk) -> None:
    cr_id = desk.open_cr()
    desk.say(TEAM, cr_id, "IS CR")
    before = len(desk.outbox())
    desk.say(REP, cr_id, "Approved")
    assert all(t != "notice/stranger_note" for t, _ in desk.templates_sent(before))
