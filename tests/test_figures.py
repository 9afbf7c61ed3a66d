"""Typed fields read whole or refused: every form from the costing, effort, date and Jira
replies people actually send, with the account's conventions, and how each is shown back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from mailflow.workflow.conventions import Conventions
from mailflow.workflow.definition import load_workflow
from mailflow.workflow.fields import FieldError, read_value, show
from mailflow.workflow.plausible import far_from

WF = load_workflow()
TODAY = datetime.now(UTC).date()
USD = Conventions(currency="USD", jira_projects=("ACME",), assignable={"kiran@ft.example": "K"})
EURO_STYLE = Conventions(currency="USD", number_format="1.234,56")


def read(field: str, raw: str, conv: Conventions = USD):
    return read_value(WF.fields[field], raw, conv, TODAY)


def shown(field: str, raw: str, conv: Conventions = USD) -> str:
    return show(read(field, raw, conv).value, WF.fields[field], conv)


def refusal(field: str, raw: str, conv: Conventions = USD) -> FieldError:
    with pytest.raises(FieldError) as caught:
        read(field, raw, conv)
    return caught.value


def on(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B} {day.year}"


@pytest.mark.parametrize(
    "raw", ["4,800", "4800.00", "USD 4,800", "$4,800.00", "4,800 USD", "usd 4800", "4800"]
)
def test_plain_amounts_are_read_whole(raw):
    assert read("cost", raw).value == {"amount": "4800.00", "currency": "USD"}
    assert shown("cost", raw) == "USD 4,800.00"


def test_the_other_number_format_is_asked_back_with_both_readings():
    problem = refusal("cost", "4.800,00")
    assert problem.readings == ("USD 4,800.00", "USD 4.80")
    assert "1,234.56" in str(problem)


def test_an_account_that_writes_1234_56_reads_its_own_form():
    assert read("cost", "4.800,00", EURO_STYLE).value["amount"] == "4800.00"
    assert shown("cost", "4.800,00", EURO_STYLE) == "USD 4.800,00"
    assert refusal("cost", "4800.00", EURO_STYLE).readings[0] == "USD 4.800,00"


@pytest.mark.parametrize(
    ("raw", "readings"),
    [
        ("4.800", ("USD 4.80", "USD 4,800.00")),
        ("4.8k", ("USD 4,800.00",)),
        ("$4.8k", ("USD 4,800.00",)),
    ],
)
def test_forms_a_careful_person_could_read_two_ways_are_asked_back(raw, readings):
    assert refusal("cost", raw).readings == readings


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("4,8OO", "contains 'O' among the digits"),
        ("€4,800", "is in EUR, but this account is billed in USD"),
        ("$9,600 + VAT 20%", "more than an amount in it ('+ VAT 20%')"),
        ("about $4,800", "more than an amount in it ('about $')"),
        ("-4800", "more than an amount in it ('-')"),
        ("4800.005", "more than two digits after the decimal mark"),
        ("EUR 4,800 USD", "names two currencies"),
        ("four thousand", "has no number in it"),
    ],
)
def test_money_that_cannot_be_read_whole_is_refused_with_the_reason(raw, said):
    problem = refusal("cost", raw)
    assert said in str(problem) and not problem.readings


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("12", "12"),
        ("12 person-days", "12"),
        ("12 days", "12"),
        ("1.5", "1.5"),
    ],
)
def test_effort_in_person_days(raw, value):
    assert read("effort", raw).value == value


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("2 weeks", "counted in person-days, and 'weeks' is not"),
        ("12k", "contains 'k' among the digits"),
        ("12abc", "contains 'abc'"),
        ("1e309", "contains 'e'"),
        ("about 12", "words before the number"),
    ],
)
def test_effort_in_other_units_or_with_letters_is_refused(raw, said):
    assert said in str(refusal("effort", raw))


def test_a_decimal_comma_follows_the_account_and_is_never_fifteen():
    assert refusal("effort", "1,5").readings == ("1.5 person-days", "15 person-days")
    assert read("effort", "1,5", EURO_STYLE).value == "1.5"
    assert shown("effort", "1,5", EURO_STYLE) == "1,5 person-days"


def test_weeks_are_converted_only_by_a_configured_rule_and_the_conversion_is_shown():
    conv = Conventions(unit_rules=(("week", Decimal(5)),))
    converted = read("effort", "2 weeks", conv)
    assert converted.value == "10" and converted.note == "2 weeks × 5 person-days"


def test_dates_in_iso_and_written_out_months_are_shown_with_their_weekday():
    day = TODAY + timedelta(days=40)
    for raw in (
        day.isoformat(),
        f"{day.day} {day:%B %Y}",
        f"{day:%b} {day.day}, {day.year}",
        f"{day:%A} {day.day} {day:%B %Y}",
    ):
        assert read("due", raw).value == day.isoformat(), raw
        assert shown("due", raw) == on(day)


def test_day_month_order_is_asked_back_unless_the_account_settles_it():
    year = TODAY.year + 1
    problem = refusal("due", f"03/04/{year}")
    assert problem.readings == (on(date(year, 4, 3)), on(date(year, 3, 4)))
    assert read("due", f"03/04/{year}", Conventions(date_order="MDY")).value == f"{year}-03-04"
    assert read("due", f"03/04/{year}", Conventions(date_order="DMY")).value == f"{year}-04-03"
    assert read("due", f"18/12/{year}").value == f"{year}-12-18", "only one reading is a date"


@pytest.mark.parametrize("raw", ["yesterday", "03/04/27", "31 February 2030"])
def test_dates_that_are_not_whole_dates_are_refused(raw):
    assert not refusal("due", raw).readings


def test_a_past_date_and_a_wrong_weekday_are_refused():
    past = TODAY - timedelta(days=1)
    assert "is in the past" in str(refusal("due", past.isoformat()))
    later = TODAY + timedelta(days=30)
    wrong = (later + timedelta(days=1)).strftime("%A")
    assert f"is a {later:%A}" in str(refusal("due", f"{wrong} {later.isoformat()}"))


def test_jira_keys_belong_to_the_accounts_projects():
    assert read("jira", "acme-12 https://j.example/browse/ACME-12").value == {
        "key": "ACME-12",
        "url": "https://j.example/browse/ACME-12",
    }
    assert "not in this account's Jira projects (ACME)" in str(refusal("jira", "INT-482"))
    assert "more than a key and a link" in str(refusal("jira", "ACME-1 and ACME-2"))
    assert "the link is to ACME-2" in str(refusal("jira", "ACME-1 https://j.example/ACME-2"))


def test_an_engineer_must_be_a_configured_person_with_the_role():
    assert read("engineer", "Kiran <Kiran@FT.example>").value == "kiran@ft.example"
    assert "not one of the configured" in str(refusal("engineer", "bob@ft.example"))
    assert "not one e-mail address" in str(refusal("engineer", "a@x.example, b@x.example"))


def test_far_from_the_proposal_means_more_than_the_factor_either_way():
    two = Decimal(2)
    assert not far_from(Decimal(4800), Decimal(4800), two)
    assert not far_from(Decimal(9600), Decimal(4800), two)
    assert far_from(Decimal(9601), Decimal(4800), two)
    assert far_from(Decimal("4.80"), Decimal(4800), two)


def test_round_numbers_are_stored_as_people_write_them():
    assert read("effort", "100").value == "100"
    assert shown("effort", "1,000") == "1,000 person-days"
