"""Loops are capped: explanations to one sender on one CR are bounded per day, repeats are
not answered again, and the mail that is not answered is still recorded."""

from __future__ import annotations

import pytest

from mailflow.store.ledger import LedgerOutcome
from tests.helpers import Desk
from tests.security.kit import walk_to

DANA = "dana@acme.example"
LIMIT_NOTE = "answer_limit: the last note of the day"


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def _waiting_on_dana(desk: Desk) -> str:
    cr_id = desk.open_cr()
    desk.say("integration@ft.example", cr_id, "IS CR")
    return cr_id


def _to(desk: Desk, address: str, since: int) -> list[str]:
    return [t for t, to in desk.templates_sent(since) if to and to[0] == address]


def _from_dana(desk: Desk) -> list:
    return [e for e in desk.ledger() if e.sender == DANA]


def test_an_auto_responder_without_headers_gets_at_most_cap_plus_one_answers(desk):
    cr_id = _waiting_on_dana(desk)
    stage, start = desk.stage(cr_id), len(desk.outbox())
    cap = desk.app.settings.security.max_answers_per_cr_per_day
    for n in range(40):
        desk.clock.advance(minutes=1)
        desk.say(DANA, cr_id, f"Thank you for your mail (ticket {1000 + n}); we will be in touch.")
    answers = _to(desk, DANA, start)
    assert len(answers) == cap + 1, answers
    assert answers[-1] == "notice/answer_limit"
    csm = [to for t, to in desk.templates_sent(start) if t == "notice/answer_limit_csm"]
    assert csm == [["priya@ft.example"]], "the CSM is told once"
    ledger = _from_dana(desk)
    assert len(ledger) == 40, "every message is recorded"
    outcomes = [e.outcome for e in ledger]
    assert outcomes.count(LedgerOutcome.ANSWERED) == cap + 1
    unanswered = ledger[cap + 1 :]
    assert all(e.outcome == LedgerOutcome.IGNORED for e in unanswered)
    assert all(e.reason.startswith("answer_limit:") for e in unanswered)
    assert len(desk.events(cr_id, {"unanswered"})) == 40 - cap
    assert desk.stage(cr_id) == stage


def test_answers_resume_the_next_day(desk):
    cr_id = _waiting_on_dana(desk)
    cap = desk.app.settings.security.max_answers_per_cr_per_day
    for n in range(cap + 3):
        desk.say(DANA, cr_id, f"Auto-acknowledgement {n}")
    start = len(desk.outbox())
    desk.clock.advance(days=1)
    desk.say(DANA, cr_id, "Auto-acknowledgement on a new day")
    assert _to(desk, DANA, start) == ["explain/unclear"]


def test_the_same_text_again_is_recorded_and_not_answered_again(desk):
    cr_id = _waiting_on_dana(desk)
    start = len(desk.outbox())
    for _ in range(4):
        desk.clock.advance(minutes=5)
        desk.say(DANA, cr_id, "I am out of the office this week.")
    assert len(_to(desk, DANA, start)) == 1
    ledger = _from_dana(desk)
    assert [e.outcome for e in ledger] == [LedgerOutcome.ANSWERED] + [LedgerOutcome.IGNORED] * 3
    assert all(e.reason.startswith("repeat:") for e in ledger[1:])
    desk.say(DANA, cr_id, "Approved")
    assert desk.stage(cr_id) == "in_principle", "one of two votes; a decision is never held back"
    assert desk.events(cr_id, {"decision"})


def test_a_repeat_is_found_without_parsing_the_earlier_mail_again(desk, monkeypatch):
    from mailflow.chain import answer_cap

    cr_id = _waiting_on_dana(desk)
    parsed: list[bytes] = []
    real = answer_cap.parse
    monkeypatch.setattr(answer_cap, "parse", lambda raw: parsed.append(raw) or real(raw))
    texts = ["Thank you, noted.", "We will look at it.", "Thank you,  NOTED."]
    for text in texts:
        desk.clock.advance(minutes=5)
        desk.say(DANA, cr_id, text)
    assert parsed == [], "each answered mail's text was worked out as it was handled"
    assert [e.reason.split(":")[0] for e in _from_dana(desk)][2] == "repeat"
    first, second = _from_dana(desk)[:2]
    assert first.text_digest == answer_cap.text_digest("thank you, noted.")
    assert second.text_digest and second.text_digest != first.text_digest


def test_the_cap_survives_a_restart(tmp_path, monkeypatch):
    """What the cap remembers is in the database: a new process on the same data finds
    the repeat and the day's count without reading any earlier mail again."""
    import importlib

    from mailflow.chain import answer_cap

    first = Desk(tmp_path)
    cr_id = _waiting_on_dana(first)
    cap = first.app.settings.security.max_answers_per_cr_per_day
    for n in range(cap):
        first.clock.advance(minutes=5)
        first.say(DANA, cr_id, f"Out of the office until Monday ({n}).")
    clock = first.clock
    first.close()

    importlib.reload(answer_cap)  # whatever the module held in memory is gone, as on a restart
    parsed: list[bytes] = []
    real = answer_cap.parse
    monkeypatch.setattr(answer_cap, "parse", lambda raw: parsed.append(raw) or real(raw))
    again = Desk(tmp_path)
    again.clock.now = clock.now
    again.clock.advance(minutes=5)
    again.say(DANA, cr_id, "Out of the office until Monday (0).")
    assert _from_dana(again)[-1].reason.startswith("repeat:"), "the repeat is known"
    again.clock.advance(minutes=5)
    again.say(DANA, cr_id, "Something new.")
    assert _from_dana(again)[-1].reason.startswith(LIMIT_NOTE), "the count is known"
    assert parsed == [], "no earlier mail was read again"
    again.close()


def _stale_approval(desk: Desk, cr_id: str):
    """Dana's "Approved" on the vote notice of the in-principle stage, long past."""
    parent = desk.last_mail_to(DANA, cr_id)
    assert parent is not None

    def send() -> None:
        msg = desk.mail(DANA, f"RE: {parent['Subject']}", "Approved")
        msg["In-Reply-To"] = msg["References"] = parent["Message-ID"]
        desk.send(msg)

    return send


@pytest.mark.parametrize("minutes", [5, 0], ids=["clock_moves", "same_instant"])
def test_a_repeat_is_answered_again_once_the_cr_has_moved(desk, minutes):
    cr_id = walk_to(desk, "executive_approval")
    again = _stale_approval(desk, cr_id)
    again()
    first = _from_dana(desk)[-1]
    assert first.outcome == LedgerOutcome.ANSWERED and "earlier_request" in first.reason
    desk.clock.advance(minutes=minutes)
    again()
    assert _from_dana(desk)[-1].reason.startswith("repeat:"), "the CR has not moved: held"

    desk.clock.advance(minutes=minutes)
    desk.say("amardeep@ft.example", cr_id, "APPROVED")
    assert desk.stage(cr_id) == "customer_approval"
    start = len(desk.outbox())
    desk.clock.advance(minutes=minutes)
    again()
    last = _from_dana(desk)[-1]
    assert last.outcome == LedgerOutcome.ANSWERED, last.reason
    assert "Customer approval" in last.reason, "the answer names where the CR stands now"
    assert _to(desk, DANA, start) == ["explain/earlier_request"]

    desk.clock.advance(minutes=minutes)
    again()
    assert _from_dana(desk)[-1].reason.startswith("repeat:"), "and held again until it moves"
    assert len(_to(desk, DANA, start)) == 1
