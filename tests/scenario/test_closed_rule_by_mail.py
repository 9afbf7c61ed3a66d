"""The closed rule through the real pipeline: attack replies never move a CR, plain
whole replies do, each sent by the person the stage waits for."""

from __future__ import annotations

import pytest

from tests.helpers import Desk
from tests.phrase_suite import load_cases
from tests.security.kit import walk_to

CASES = load_cases()
ATTACKS = [c for c in CASES if c.category == "mail-attack"]
PLAIN = [c for c in CASES if c.category == "mail-plain" and c.decision == "APPROVED"]
# Who answers which verb, and at which stage, in the built-in workflow.
ACTOR = {"APPROVED": ("customer_approval", "dana@acme.example", "jira_tracking"),
         "DONE": ("impact_analysis", "integration@ft.example", "costing")}  # fmt: skip


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def _verb(text: str) -> str:
    return "DONE" if text.lstrip().upper().startswith("DONE") else "APPROVED"


@pytest.mark.parametrize("case", ATTACKS, ids=lambda c: c.source[:40])
def test_an_attack_reply_moves_nothing_and_is_asked_back(desk, case):
    stage, sender, _ = ACTOR[_verb(case.text)]
    cr_id = walk_to(desk, stage)
    before = len(desk.outbox(cr_id))
    desk.say(sender, cr_id, case.text)
    assert desk.stage(cr_id) == stage, case.source
    entry = desk.ledger()[-1]
    assert entry.outcome == "answered", entry.reason
    answers = [r for r in desk.outbox(cr_id)[before:] if sender in r.recipients]
    assert answers, "the sender was told why nothing was recorded"


@pytest.mark.parametrize("case", PLAIN[::4], ids=lambda c: c.source[:40])
def test_a_plain_whole_reply_records_the_decision(desk, case):
    stage, sender, after = ACTOR["APPROVED"]
    cr_id = walk_to(desk, stage)
    desk.say(sender, cr_id, case.text)
    assert desk.stage(cr_id) == after, case.source


def test_a_field_line_of_another_step_is_asked_back_not_dropped(desk):
    """'Price:' names Cost, which the customer approval does not take: under her yes it
    is a sentence like any other, so the approval is not recorded as if it were plain."""
    stage, sender, _ = ACTOR["APPROVED"]
    cr_id = walk_to(desk, stage)
    desk.say(sender, cr_id, "Approved\nPrice: USD 9,000")
    assert desk.stage(cr_id) == stage
    assert desk.ledger()[-1].outcome == "answered"
