"""Approvals follow the figures they saw: a figure changed after it was approved undoes
the approval, takes the CR back, and tells the approvers old → new, by whom and why."""

from __future__ import annotations

import pytest

from mailflow.cli.main import main
from tests.helpers import EXAMPLE_CONFIG, Desk
from tests.security.kit import walk_to


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def _approved_by_both(desk):
    cr_id = walk_to(desk, "customer_approval")
    desk.say("dana@acme.example", cr_id, "APPROVED")
    assert desk.stage(cr_id) == "jira_tracking"
    return cr_id


def _set(desk, capsys, cr_id, *args):
    """`mailflow cr set` as the CSM runs it, on the desk's own database."""
    folder = desk.app.settings.data_dir
    config = folder / "mailflow.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text().replace('data_dir = "mailflow-data"', f'data_dir = "{folder}"')
    )
    code = main(["cr", "set", cr_id, *args, "--by", "priya@ft.example", "--config", str(config)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_cost_changed_after_both_approvals_takes_the_cr_back(desk, capsys):
    cr_id = _approved_by_both(desk)
    before = len(desk.outbox(cr_id))
    code, out = _set(desk, capsys, cr_id, "Cost=USD 9,000")
    assert code != 0 and "--reason" in out, "a change that undoes approvals needs a reason"
    assert desk.stage(cr_id) == "jira_tracking" and len(desk.outbox(cr_id)) == before
    code, out = _set(desk, capsys, cr_id, "Price=USD 9,000", "--reason", "rate corrected")
    assert code == 0, out
    assert "Cost corrected: USD 9,600.00 → USD 9,000.00" in out
    assert "no longer approved: Executive approval, Customer approval" in out
    assert desk.stage(cr_id) == "executive_approval"
    told = [(t, to) for t, to in desk.templates_sent(before) if t == "notice/figures_changed"]
    assert told and {"amardeep@ft.example", "dana@acme.example"} <= set(told[0][1])
    to_exec = desk.last_mail_to("amardeep@ft.example", cr_id)
    events = [e.detail for e in desk.events(cr_id, {"superseded"})]
    assert events and "USD 9,600.00 → USD 9,000.00" in events[0] and "rate corrected" in events[0]
    customer = [r for r in desk.outbox(cr_id)[before:] if r.recipients == ["dana@acme.example"]]
    text = b"".join(r.data for r in customer).decode("utf-8", "replace")
    assert "no longer stands" in text and "9,000" not in text, "not before FT approved it"
    assert to_exec is not None
    desk.say("amardeep@ft.example", cr_id, "APPROVED")
    assert desk.stage(cr_id) == "customer_approval", "the customer is asked again"


def test_a_change_nobody_approved_needs_no_reason_and_moves_nothing(desk, capsys):
    cr_id = walk_to(desk, "executive_approval")
    code, out = _set(desk, capsys, cr_id, "Cost=USD 9,000")
    assert code == 0, out
    assert desk.stage(cr_id) == "executive_approval"
    assert not desk.events(cr_id, {"superseded"})


def test_the_same_value_again_undoes_nothing(desk, capsys):
    cr_id = _approved_by_both(desk)
    code, out = _set(desk, capsys, cr_id, "Cost=9600")
    assert code == 0, out
    assert desk.stage(cr_id) == "jira_tracking"


def test_a_later_reply_changing_an_approved_cost_tells_the_executive(desk):
    cr_id = walk_to(desk, "customer_approval")  # the executive approved USD 9,600
    desk.say("dana@acme.example", cr_id, "REJECTED too expensive for this quarter")
    assert desk.stage(cr_id) == "costing"
    before = len(desk.outbox(cr_id))
    desk.say("priya@ft.example", cr_id, "DONE\nCost: 8,800")
    assert desk.stage(cr_id) == "executive_approval"
    events = [e.detail for e in desk.events(cr_id, {"superseded"})]
    assert events and "USD 9,600.00 → USD 8,800.00" in events[0]
    assert "Executive approval" in events[0]
    told = [to for t, to in desk.templates_sent(before) if t == "notice/figures_changed"]
    assert told and "amardeep@ft.example" in told[0]
