"""Figures typed into replies, played through the real pipeline: recorded exactly as meant
and read back, or asked back with the readings, never guessed."""

from __future__ import annotations

import dataclasses
import email
from datetime import date, timedelta
from decimal import Decimal
from email.policy import default as default_policy

import pytest

from tests.helpers import Desk
from tests.scenario.cast import (
    CSM,
    ENGINEER,
    EXEC,
    REP,
    TEAM,
    to_costing,
    to_due_date,
    to_impact_analysis,
)


def _account(**changes):
    def adjust(settings):
        accounts = tuple(dataclasses.replace(a, **changes) for a in settings.accounts)
        return dataclasses.replace(settings, accounts=accounts)

    return adjust


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def _last(desk, cr_id, to, template=""):
    """(template, plain text) of the newest mail to `to` (of that template, when given)."""
    for row in reversed(desk.outbox(cr_id)):
        if to in row.recipients and template in ("", row.template):
            msg = email.message_from_bytes(row.data, policy=default_policy)
            text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
            return row.template, text
    raise AssertionError(f"no mail to {to}")


@pytest.mark.parametrize("cost", ["4,800", "4800.00", "USD 4,800", "$4,800.00"])
def test_a_plain_cost_is_recorded_and_read_back_the_same_way_everywhere(desk, cost):
    cr_id = to_costing(desk, effort="6")
    desk.say(CSM, cr_id, f"DONE\nCost: {cost}")
    assert desk.cr(cr_id).fields["cost"] == {"amount": "4800.00", "currency": "USD"}
    template, ack = _last(desk, cr_id, CSM, "notice/accepted")
    assert "Cost: USD 4,800.00" in ack
    assert "Proposed: 6 person-days × USD 800.00 = USD 4,800.00" in ack
    template, request = _last(desk, cr_id, "amardeep@ft.example")
    assert template == "request/executive_approval"
    assert "Cost:       USD 4,800.00" in request and "Effort:     6 person-days" in request


@pytest.mark.parametrize(
    ("cost", "said", "readings"),
    [
        (
            "USD 4.800,00",
            "not written the way this account writes numbers",
            ["Cost: USD 4,800.00", "Cost: USD 4.80"],
        ),
        ("$4.8k", "is shorthand", ["Cost: USD 4,800.00"]),
        ("4,8OO", "contains 'O' among the digits", []),
        ("€4,800", "is in EUR, but this account is billed in USD", []),
        ("$9,600 + VAT 20%", "more than an amount in it ('+ VAT 20%')", []),
    ],
)
def test_a_cost_that_is_not_one_clear_amount_is_asked_back_and_nothing_changes(
    desk, cost, said, readings
):
    cr_id = to_costing(desk, effort="6")
    desk.say(CSM, cr_id, f"DONE\nCost: {cost}")
    assert desk.stage(cr_id) == "costing" and "cost" not in desk.cr(cr_id).fields
    template, body = _last(desk, cr_id, CSM)
    assert template == "explain/bad_field"
    assert said in " ".join(body.split())
    for reading in readings:
        assert f"    {reading}\n" in body
    assert ("can be read" in body) == bool(readings)


def test_an_account_that_writes_1_234_56_has_its_own_form_read_and_shown(tmp_path):
    desk = Desk(tmp_path, adjust=_account(number_format="1.234,56"))
    try:
        cr_id = to_costing(desk, effort="6")
        desk.say(CSM, cr_id, "DONE\nCost: 4.800,00")
        assert desk.cr(cr_id).fields["cost"]["amount"] == "4800.00"
        assert "Cost: USD 4.800,00" in _last(desk, cr_id, CSM, "notice/accepted")[1]
    finally:
        desk.close()


def test_a_cost_far_from_the_proposal_is_asked_back_with_both_figures_then_taken_as_meant(desk):
    cr_id = to_costing(desk, effort="12")
    desk.say(CSM, cr_id, "DONE\nCost: 480")
    assert desk.stage(cr_id) == "costing" and "cost" not in desk.cr(cr_id).fields
    template, body = _last(desk, cr_id, CSM)
    flat = " ".join(body.split())
    assert template == "explain/bad_field"
    assert "Cost USD 480.00 is more than 2 times away from the proposal" in flat
    assert "12 person-days × USD 800.00 = USD 9,600.00" in flat
    assert "send the same reply again" in flat
    desk.say(CSM, cr_id, "DONE\nCost: 480")
    assert desk.stage(cr_id) == "executive_approval"
    assert desk.cr(cr_id).fields["cost"]["amount"] == "480.00"


@pytest.mark.parametrize(
    ("effort", "said"),
    [
        ("2 weeks", "counted in person-days, and 'weeks' is not"),
        ("1,5", "1.5 person-days"),
        ("12k", "contains 'k'"),
    ],
)
def test_effort_in_another_unit_or_with_a_decimal_comma_is_asked_back(desk, effort, said):
    cr_id = to_impact_analysis(desk)
    desk.say(TEAM, cr_id, f"DONE\nApproach: a\nEffort: {effort}\nTimeline: soon")
    assert desk.stage(cr_id) == "impact_analysis" and "effort" not in desk.cr(cr_id).fields
    template, body = _last(desk, cr_id, TEAM)
    assert template == "explain/bad_field" and said in " ".join(body.split())


def test_weeks_are_recorded_only_by_a_configured_rule_and_the_conversion_is_read_back(tmp_path):
    desk = Desk(tmp_path, adjust=_account(effort_units=(("week", Decimal(5)),)))
    try:
        cr_id = to_costing(desk, effort="2 weeks")
        assert desk.cr(cr_id).fields["effort"] == "10"
        ack = _last(desk, cr_id, TEAM, "notice/accepted")[1]
        assert "Effort: 10 person-days (2 weeks × 5 person-days)" in ack
    finally:
        desk.close()


def test_a_due_date_readable_two_ways_is_asked_back_with_both_weekdays(desk):
    cr_id = to_due_date(desk)
    year = desk.clock.now.year + 1
    desk.say(ENGINEER, cr_id, f"DONE\nDue: 03/04/{year}")
    assert desk.stage(cr_id) == "due_date"
    body = _last(desk, cr_id, ENGINEER)[1]
    for day in (date(year, 4, 3), date(year, 3, 4)):
        assert f"Due: {day:%A} {day.day} {day:%B} {year}" in body
    past = (desk.clock.now - timedelta(days=3)).date()
    desk.say(ENGINEER, cr_id, f"DONE\nDue: {past.isoformat()}")
    assert "is in the past" in " ".join(_last(desk, cr_id, ENGINEER)[1].split())
    due = (desk.clock.now + timedelta(days=45)).date()
    desk.say(ENGINEER, cr_id, f"DONE\nDue: {due.day} {due:%B %Y}")
    assert desk.stage(cr_id) == "interface_doc"
    ack = _last(desk, cr_id, ENGINEER, "notice/accepted")[1]
    assert f"Due: {due:%A} {due.day} {due:%B} {due.year}" in ack


def test_the_accounts_date_order_settles_a_numeric_date(tmp_path):
    desk = Desk(tmp_path, adjust=_account(date_order="DMY"))
    try:
        cr_id = to_due_date(desk)
        year = desk.clock.now.year + 1
        desk.say(ENGINEER, cr_id, f"DONE\nDue: 03/04/{year}")
        assert desk.cr(cr_id).fields["due"] == f"{year}-04-03"
    finally:
        desk.close()


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        ("Jira: INT-482", "INT-482 is not in this account's Jira projects (ACME)"),
        ("Jira: ACME-482\nEngineer: bob@ft.example", "bob@ft.example is not one of the configured"),
    ],
)
def test_jira_keys_and_engineers_are_checked_against_the_configuration(desk, lines, said):
    cr_id = to_costing(desk)
    desk.say(CSM, cr_id, "DONE\nCost: USD 9,600")
    desk.say(EXEC, cr_id, "APPROVED")
    desk.say(REP, cr_id, "APPROVED")
    desk.say(CSM, cr_id, f"DONE\n{lines}")
    assert desk.stage(cr_id) == "jira_tracking"
    template, body = _last(desk, cr_id, CSM)
    assert template == "explain/bad_field" and said in " ".join(body.split())
