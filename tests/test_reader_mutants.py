"""Reader behaviour that mutation testing (benchmarks/mutation.py) found no test holding.

Each test states, with a real input, something a sender relies on: the exact value read,
the readings offered back, the words of the explanation mailed back. A change to the
reader that alters any of them fails here; the survivors that remain are listed, with why
they are harmless, in benchmarks/mutation.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from mailflow.mail import notices
from mailflow.mail.html_colors import attribute_color, css_color, over
from mailflow.mail.html_styles import Styled, apply_stylesheets
from mailflow.mail.html_text import UNCLEAR_CLOSE, UNCLEAR_OPEN, html_to_text, unmarked
from mailflow.mail.reply_text import new_text, visible_text
from mailflow.reading import decide
from mailflow.reading.likely import likely
from mailflow.reading.normalize import mixed_script_words, normalize_line
from mailflow.reading.reply import read_message, read_reply
from mailflow.workflow.conventions import Conventions
from mailflow.workflow.definition import load_workflow
from mailflow.workflow.figures import read_money, read_quantity, show_money, show_quantity
from mailflow.workflow.numbers import FigureError, read_number, show_number
from tests.phrase_suite import vocabulary

US = Conventions()
DE = Conventions(number_format="1.234,56")
WEEKS = Conventions(unit_rules=(("week", Decimal(5)),))

# --- numbers: read whole, or refused saying why ------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "no number was given"),
        ("1" * 25, f"{'1' * 25!r} is not a number"),
        ("4X8", "'4X8' is not a number: it contains 'X' among the digits"),
        ("4.8O0", "'4.8O0' is not a number: it contains 'O' among the digits"),
        (",48", "',48' is not a number: it starts or ends with a mark"),
        ("48,", "'48,' is not a number: it starts or ends with a mark"),
    ],
)
def test_a_number_is_refused_with_its_reason(text: str, said: str) -> None:
    with pytest.raises(FigureError) as refused:
        read_number(text)
    assert str(refused.value) == said
    assert refused.value.readings == ()


def test_the_longest_number_read_has_twenty_four_digits() -> None:
    assert read_number("1" * 24) == Decimal("1" * 24)


@pytest.mark.parametrize(
    ("text", "number_format", "readings"),
    [
        ("480.000", "1,234.56", ("480", "480,000")),
        ("4,800", "1.234,56", ("4,8", "4.800")),
    ],
)
def test_a_mark_that_may_group_or_start_decimals_is_asked_back(
    text: str, number_format: str, readings: tuple[str, ...]
) -> None:
    with pytest.raises(FigureError) as asked:
        read_number(text, number_format)
    mark = "." if number_format == "1,234.56" else ","
    assert str(asked.value) == (
        f"{text!r} can be read two ways: the {mark!r} may start the decimals or group thousands"
    )
    assert asked.value.readings == readings


@pytest.mark.parametrize(
    ("text", "number_format", "readings"),
    [
        ("1,23,4", "1,234.56", ("1,234",)),
        ("1.234,5", "1,234.56", ("1,234.5", "1.234")),
        ("4,800.00", "1.234,56", ("4.800", "4,8")),
    ],
)
def test_a_number_in_the_other_format_is_asked_back_with_its_readings(
    text: str, number_format: str, readings: tuple[str, ...]
) -> None:
    with pytest.raises(FigureError) as asked:
        read_number(text, number_format)
    assert str(asked.value) == (
        f"{text!r} is not written the way this account writes numbers ({number_format})"
    )
    assert asked.value.readings == readings


def test_numbers_are_shown_in_the_accounts_format_with_the_places_asked() -> None:
    assert show_number(Decimal("4800.5"), "1.234,56", 0) == "4.800"
    assert show_number(Decimal("4800.5"), "1.234,56") == "4.800,5"
    assert show_number(Decimal("4800"), "1,234.56", 2) == "4,800.00"
    assert show_number(Decimal("12"), "1,234.56") == "12"


# --- money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "conv", "amount", "currency"),
    [
        ("4800USD", US, "4800.00", "USD"),
        ("1USD", US, "1.00", "USD"),
        ("USD4800", US, "4800.00", "USD"),
        ("€ 4.800,00", Conventions(number_format="1.234,56", currency="EUR"), "4800.00", "EUR"),
    ],
)
def test_money_with_its_currency_before_after_or_joined(
    text: str, conv: Conventions, amount: str, currency: str
) -> None:
    assert read_money(text, conv).value == {"amount": amount, "currency": currency}


@pytest.mark.parametrize(
    ("text", "conv", "said"),
    [
        (
            "4,800 and more",
            Conventions(currency="USD"),
            "'4,800 and more' has more than an amount in it ('and more'); write one amount "
            "in USD, the total you mean, and nothing else on the line",
        ),
        (
            "4,800 and more",
            US,
            "'4,800 and more' has more than an amount in it ('and more'); write one amount, "
            "the total you mean, and nothing else on the line",
        ),
        ("USD 4,800 EUR", US, "'USD 4,800 EUR' names two currencies (USD and EUR)"),
        (
            "4800EUR",
            Conventions(currency="USD"),
            "'4800EUR' is in EUR, but this account is billed in USD; write the amount in USD",
        ),
        ("1,234.567", US, "'1,234.567' has more than two digits after the decimal mark"),
        ("12a", US, "'12a' is not a number: it contains 'a' among the digits"),
    ],
)
def test_money_that_is_more_than_an_amount_is_refused_saying_what(
    text: str, conv: Conventions, said: str
) -> None:
    with pytest.raises(FigureError) as refused:
        read_money(text, conv)
    assert str(refused.value) == said


@pytest.mark.parametrize(
    ("text", "conv", "shown"),
    [
        ("4.8k", US, "4,800.00"),
        ("4,8k", Conventions(number_format="1.234,56", currency="EUR"), "EUR 4.800,00"),
    ],
)
def test_shorthand_money_is_asked_back_written_out(
    text: str, conv: Conventions, shown: str
) -> None:
    with pytest.raises(FigureError) as asked:
        read_money(text, conv)
    assert str(asked.value) == (
        f"{text!r} is shorthand, and an amount is recorded only as written out: "
        f"if you mean {shown}, write it so"
    )
    assert asked.value.readings == (shown,)


def test_money_is_shown_with_its_currency_in_the_accounts_format() -> None:
    assert show_money({"amount": "4800", "currency": "USD"}) == "USD 4,800.00"
    assert show_money({"currency": "USD"}) == "USD 0.00"
    assert show_money({"amount": "4800.5"}, DE) == "4.800,50"


# --- quantities ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", "12"),
        ("12.5", "12.5"),
        ("12 days.", "12"),
        ("12 person days", "12"),
        ("12 person-day", "12"),
        ("12 pd", "12"),
    ],
)
def test_effort_with_or_without_its_unit(text: str, value: str) -> None:
    assert read_quantity(text, "person-days", WEEKS).value == value


@pytest.mark.parametrize(
    ("text", "unit", "said"),
    [
        (
            "12 hours",
            "person-days",
            "'12 hours': this is counted in person-days, and 'hours' is not; write the "
            "number of person-days (no conversion is configured for 'hours')",
        ),
        (
            "12 hours",
            "",
            "'12 hours': this is a plain number, and 'hours' is not; write the number of "
            "units (no conversion is configured for 'hours')",
        ),
        (
            "about 12",
            "person-days",
            "'about 12' has words before the number ('about'); write the number",
        ),
    ],
)
def test_a_quantity_with_other_words_is_refused_saying_what(
    text: str, unit: str, said: str
) -> None:
    with pytest.raises(FigureError) as refused:
        read_quantity(text, unit, WEEKS)
    assert str(refused.value) == said


def test_a_whole_quantity_refuses_decimals() -> None:
    assert read_quantity("12", "people", US, whole=True).value == "12"
    assert read_quantity("12.0", "people", US, whole=True).value == "12"
    assert read_quantity("12.0", "people", US).value == "12"
    with pytest.raises(FigureError, match=r"^'12\.5' is not a whole number$"):
        read_quantity("12.5", "people", US, whole=True)


def test_a_converted_quantity_says_the_conversion_in_the_accounts_format() -> None:
    rule = Conventions(number_format="1.234,56", unit_rules=(("week", Decimal("2.5")),))
    read = read_quantity("2,5 weeks", "person-days", rule)
    assert (read.value, read.note) == ("6.25", "2,5 weeks × 2,5 person-days")
    assert read_quantity("2 weeks", "person-days", WEEKS).note == "2 weeks × 5 person-days"


@pytest.mark.parametrize(
    ("text", "conv", "readings"),
    [
        ("1.234,5", US, ("1,234.5 person-days", "1.234 person-days")),
        ("1,234.5", DE, ("1.234,5 person-days", "1,234 person-days")),
    ],
)
def test_a_quantity_in_the_other_format_is_asked_back_with_its_unit(
    text: str, conv: Conventions, readings: tuple[str, ...]
) -> None:
    with pytest.raises(FigureError) as asked:
        read_quantity(text, "person-days", conv)
    assert asked.value.readings == readings
    assert len(asked.value.values) == len(readings)


def test_quantities_are_shown_with_their_unit() -> None:
    assert show_quantity("12", "person-days") == "12 person-days"
    assert show_quantity("n/a", "person-days") == "n/a person-days"
    assert show_quantity(Decimal("1.5"), "person-days", DE) == "1,5 person-days"


# --- decide: the closed rule, and what is said back -----------------------------------------

WORDS = vocabulary()
WORKFLOW = load_workflow()


def _kind(text: str, known: decide.Known = decide.NOTHING_KNOWN) -> str:
    read = decide.read(text, WORDS, known)
    return read.verb if isinstance(read, decide.Decision) else read.kind.name


def test_a_line_whose_order_bidi_controls_change_is_never_read() -> None:
    """Stored "Approved <RLO>ton" shows as "Approved not"; it is not read at all."""
    read = decide.read("Approved \u202eton", WORDS)
    assert isinstance(read, decide.Unclear) and read.kind is decide.UnclearKind.DISGUISED
    assert "change the order in which it is shown" in read.reason


@pytest.mark.parametrize(
    "below", ["Not yet.", "Is it live?", "Rejected.", "No go.", "Done.", "Thanks. Not yet."]
)
def test_a_line_that_answers_otherwise_takes_the_yes_back_with_no_confirm_offered(
    below: str,
) -> None:
    read = decide.read(f"Approved\n{below}", WORDS)
    assert isinstance(read, decide.Unclear)
    assert read.kind is decide.UnclearKind.TAKEN_BACK_BELOW and read.as_written is None
    quoted = below.removeprefix("Thanks. ")
    assert read.reason == (
        f"'{quoted}' may change or take back APPROVED, so it was not recorded. "
        "If APPROVED is your whole answer, reply with just APPROVED."
    )


@pytest.mark.parametrize(
    ("text", "remark"),
    [
        ("Approved\nThe rounding is fixed.", "The rounding is fixed."),
        ("Approved\nThanks. The rounding is fixed.", "The rounding is fixed."),
        ("Approved\nBudget note: tight", "Budget note: tight"),
    ],
)
def test_a_remark_is_asked_back_quoting_it_with_what_confirm_would_record(
    text: str, remark: str
) -> None:
    read = decide.read(text, WORDS)
    assert isinstance(read, decide.Unclear) and read.kind is decide.UnclearKind.REMARK
    assert (read.remark, read.line, read.normalized) == (remark, "Approved", "Approved")
    assert read.as_written is not None and read.as_written.verb == "APPROVED"
    assert f"also wrote '{remark}'" in read.reason
    known = decide.Known(remarks=frozenset({decide.remark_key(remark)}))
    assert _kind(text, known) == "APPROVED"


def test_everyday_words_of_a_yes_stand_beside_another_yes() -> None:
    assert _kind("DONE\nLooks good to me.") == "DONE"
    assert _kind("Approved\nLooks good to me.") == "APPROVED"


@pytest.mark.parametrize(
    ("line", "meant"),
    [("Cots: 5", "Cost: 5"), ("Efort: 5", "Effort: 5"), ("Cots: 10:30", "Cost: 10:30")],
)
def test_a_field_name_misspelt_is_asked_back_with_the_name_meant(line: str, meant: str) -> None:
    read = decide.read(f"Approved\n{line}", WORDS)
    assert isinstance(read, decide.Unclear) and read.kind is decide.UnclearKind.FIELD_NAME
    assert read.reason == (
        f"'{line}' is not a detail this step takes, so APPROVED was not recorded. "
        f"Did you mean '{meant}'? If so, reply APPROVED with that line."
    )


@pytest.mark.parametrize("text", ["Maybe RESUME", "¿RESUME", "not RESUME"])
def test_a_plain_verb_with_words_before_it_is_not_recorded(text: str) -> None:
    assert not isinstance(decide.read(text, WORDS), decide.Decision)


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("Hi Priya, RESUME", {}),
        ("RESUME - Jira: ABC-12", {"jira": "ABC-12"}),
        ("RESUME\nJira: ABC-12", {"jira": "ABC-12"}),
        ("NOT CR: Jira: ABC-12", {"jira": "ABC-12"}),
    ],
)
def test_a_plain_verb_takes_the_fields_on_its_line_and_below(
    text: str, fields: dict[str, str]
) -> None:
    read = decide.read(text, WORDS)
    assert isinstance(read, decide.Decision)
    assert (dict(read.fields), read.text, read.rule) == (fields, "", "verb")


def test_a_yes_is_recorded_by_the_closed_grammar_with_its_fields() -> None:
    read = decide.read("Approved\nEffort:\n12", WORDS)
    assert isinstance(read, decide.Decision)
    assert (read.verb, dict(read.fields), read.rule) == (
        "APPROVED",
        {"effort": "12"},
        "closed grammar",
    )


# --- normalising ---------------------------------------------------------------------------


def test_normalising_keeps_one_line_and_drops_skin_tones() -> None:
    assert normalize_line("👍🏽 approved") == "👍 approved"
    assert normalize_line("not\napproved") == "not approved"
    assert normalize_line("not\r\napproved") == "not approved"


def test_a_word_mixing_alphabets_is_found_wherever_it_stands() -> None:
    assert mixed_script_words("ok NОT") == ["NОT"]
    assert mixed_script_words("approved承認") == ["approved承認"]
    assert mixed_script_words("Одобрено approved") == []


# --- reading in the light of the stage -----------------------------------------------------


def _said(read: decide.Decision | decide.Unclear) -> str:
    return read.verb if isinstance(read, decide.Decision) else read.kind.name


def test_a_stage_unknown_to_the_workflow_reads_with_every_verb() -> None:
    assert _said(read_reply(WORKFLOW, "nowhere", "Passed, signed off")) == "BOTH"
    assert _said(read_reply(WORKFLOW, "nowhere", "Deployed to QA")) == "MORE_THAN_A_DECISION"
    assert _said(read_reply(WORKFLOW, "qa_deploy", "Deployed to QA")) == "DEPLOYED"


def test_what_is_known_of_the_sender_reaches_both_readings() -> None:
    text = "Signed off, UAT complete\nThe rounding is fixed."
    known = decide.Known(remarks=frozenset({decide.remark_key("The rounding is fixed.")}))
    assert _said(read_reply(WORKFLOW, "uat", text)) == "REMARK"
    assert _said(read_reply(WORKFLOW, "uat", text, known)) == "SIGNED OFF"
    assert _said(read_reply(WORKFLOW, "qa_testing", "Passed\nThe rounding is fixed.", known)) == (
        "PASSED"
    )


def test_a_learned_signature_is_cut_from_the_text_and_from_the_html() -> None:
    text = "Approved\n\nDana Whitfield\nHead of Ops, Acme\nCall me maybe"
    known = decide.Known(signatures=("Dana Whitfield\nHead of Ops, Acme\nCall me maybe",))
    assert _said(read_message(WORKFLOW, "in_principle", text, None)) == "REMARK"
    assert _said(read_message(WORKFLOW, "in_principle", text, None, known)) == "APPROVED"
    assert _said(read_message(WORKFLOW, "in_principle", text, text, known)) == "APPROVED"


def test_text_and_html_that_disagree_say_what_each_one_reads() -> None:
    read = read_message(WORKFLOW, "in_principle", "Approved", "Rejected - too costly")
    assert isinstance(read, decide.Unclear) and read.kind is decide.UnclearKind.PARTS_DISAGREE
    assert (read.line, read.normalized) == ("Approved", "Approved")
    assert read.reason == (
        "The plain-text and formatted versions of your mail do not say the same: one reads "
        "APPROVED ('Approved'), the other REJECTED ('Rejected - too costly')."
    )
    read = read_message(WORKFLOW, "in_principle", "", "Approved")
    assert isinstance(read, decide.Unclear) and read.line == "Approved"
    assert read.reason == (
        "The plain-text and formatted versions of your mail do not say the same: one reads "
        "no clear decision, the other APPROVED ('Approved')."
    )
    assert _said(read_message(WORKFLOW, "qa_deploy", "Deployed to QA", "Deployed to QA")) == (
        "DEPLOYED"
    )


# --- reply text: the reply written below its quote ------------------------------------------

_ON = "On Mon, 2 Nov 2026 at 09:00, FT <approvals@ft.example> wrote:"


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        (f"{_ON}\n> Please reply APPROVED\n\nApproved", "Approved"),
        ("> Please reply APPROVED\n\nApproved", "Approved"),
        (f"\n\n{_ON}\n> q\n\nApproved", "Approved"),
        (f"{_ON}\n   > q\n\nApproved", "Approved"),
        (
            "On Mon, 2 Nov 2026 at 09:00, FT Change Requests\n<approvals@ft.example> wrote:\n"
            "> q\n\nApproved",
            "Approved",
        ),
        (f"{_ON}\n\n\n\n\n> q\n\nApproved", "Approved"),  # four blank lines: still its quote
        (f"{_ON}\n\n\n\n\n\n> q\n\nApproved", ""),  # five: too far to be sure
        (f"{_ON}\nsomething else\n> q\n\nApproved", ""),
        ("> q1\nApproved\n> q2\nnot really", ""),  # interleaved: nothing is taken
        (f"{_ON}\n> q\n\nApproved\n  > again", ""),
        (f"{_ON}\n> q\n", ""),
        (f"{_ON}\n\nApproved", ""),
        # A quote line long enough to have been wrapped needs a blank line after it.
        (f"{_ON}\n> {'x' * 57}\nApproved", "Approved"),
        (f"{_ON}\n> {'x' * 58}\nApproved", ""),
        (f"{_ON}\n> {'x' * 58}\n\nApproved", "Approved"),
    ],
)
def test_a_reply_below_its_quote_is_taken_only_in_the_plain_shape(text: str, reply: str) -> None:
    assert new_text(text) == reply


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        (
            "Approved\n\n________________________________\nFrom: FT <approvals@ft.example>\n"
            "Sent: Monday, 2 November 2026 09:00\nTo: Dana\nSubject: CR-1\n\nPlease reply",
            "Approved",
        ),
        (
            "Approved\n\n-----\nFrom: FT <approvals@ft.example>\nSent: Monday\nTo: Dana\n"
            "Subject: CR-1\n\nbody",
            "Approved",
        ),
        ("Approved\n\nFT <approvals@ft.example>:\n> Please reply", "Approved"),
        ("Approved, notes:\n> Please reply", "Approved, notes:"),
    ],
)
def test_history_below_the_reply_is_cut_with_its_opening_line(text: str, reply: str) -> None:
    assert new_text(text) == reply


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("> Please reply APPROVED\n\nApproved", "> Please reply APPROVED\n\nApproved"),
        ("> q1\nApproved\n> q2\nnot really", "> q1\nApproved\n> q2\nnot really"),
        (f"{_ON}\nsomething else\n> q\n\nApproved", "something else\n> q\n\nApproved"),
        (f"{_ON}\n> q\n", "> q"),
        (f"{_ON}\n\nApproved", "Approved"),
    ],
)
def test_what_a_mail_that_opens_with_its_history_shows(text: str, shown: str) -> None:
    assert visible_text(text) == shown


# --- decide: verbs that take a reason, and what a line that is more than a decision says ----


def test_a_reason_verb_takes_only_a_greeting_before_it() -> None:
    assert not isinstance(decide.read("Maybe REJECTED too costly", WORDS), decide.Decision)
    read = decide.read("Hi Priya, REJECTED too costly", WORDS)
    assert isinstance(read, decide.Decision)
    assert (read.verb, read.text, read.rule) == ("REJECTED", "too costly", "verb")


def test_a_reason_goes_on_below_as_written_and_stops_at_a_field() -> None:
    read = decide.read("REJECTED too costly\n  see the budget\nCost: 5", WORDS)
    assert isinstance(read, decide.Decision)
    assert (read.text, dict(read.fields)) == ("too costly\n  see the budget", {"cost": "5"})


@pytest.mark.parametrize(
    ("text", "taken_back"),
    [
        ("REJECTED too costly, no wait", "no wait"),
        ("REJECTED too costly - scratch that", "scratch that"),
    ],
)
def test_a_reason_that_takes_the_verb_back_is_asked_back(text: str, taken_back: str) -> None:
    read = decide.read(text, WORDS)
    assert isinstance(read, decide.Unclear) and read.kind is decide.UnclearKind.TAKEN_BACK_BELOW
    assert read.reason == (
        f"'{taken_back}' may take back REJECTED, so it was not recorded: '{text}'. "
        "Reply with REJECTED and your reason, or with the decision you mean."
    )


def test_a_field_name_has_at_most_four_words_and_a_link_is_no_field() -> None:
    read = decide.read("REJECTED\nOne two three four: x", WORDS)
    assert isinstance(read, decide.Decision)
    assert dict(read.fields) == {"one two three four": "x"}
    read = decide.read("REJECTED\nOne two three four five: x", WORDS)
    assert isinstance(read, decide.Decision) and dict(read.fields) == {}
    read = decide.read("REJECTED\nLink: //x", WORDS)
    assert isinstance(read, decide.Decision) and dict(read.fields) == {}


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        (
            "Approved?",
            "QUESTION",
            "'Approved' reads as a question, so it was not taken as APPROVED: 'Approved?'",
        ),
        (
            "Approved, not",
            "NEGATION",
            "'not' is a negation, so 'Approved' was not read as APPROVED; please answer with "
            "just the decision word, in: 'Approved, not'",
        ),
        (
            "Approved one two three",
            "MORE_THAN_A_DECISION",
            "Besides APPROVED, your line says 'one two three', which may add a condition or a "
            "limit, so APPROVED was not recorded: 'Approved one two three'. If APPROVED is your "
            "whole answer, reply with just APPROVED.",
        ),
        (
            "Approved, only if QA agrees",
            "MORE_THAN_A_DECISION",
            "Besides APPROVED, your line says 'only if QA agrees', which may add a condition or "
            "a limit, so APPROVED was not recorded: 'Approved, only if QA agrees'. If APPROVED "
            "is your whole answer, reply with just APPROVED.",
        ),
        (
            "Approved " + "word " * 20 + "end",
            "MORE_THAN_A_DECISION",
            "Besides APPROVED, your line says '" + ("word " * 16)[:77] + "...', which may add a "
            "condition or a limit, so APPROVED was not recorded: 'Approved "
            + "word " * 20
            + "end'. If APPROVED is your whole answer, reply with just APPROVED.",
        ),
    ],
)
def test_a_line_that_is_more_than_a_decision_says_why(text: str, kind: str, reason: str) -> None:
    read = decide.read(text, WORDS)
    assert isinstance(read, decide.Unclear)
    assert (read.kind.name, read.reason) == (kind, reason)


def test_a_question_by_word_order_is_not_a_yes() -> None:
    assert not isinstance(decide.read("Is it approved", WORDS), decide.Decision)


# --- likely readings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "probable"),
    [
        ("Looks good to me\nLooks good", "APPROVED"),
        ("Looks good\nThanks", "APPROVED"),
        ("Looks good\nNot yet", None),
        ("Sounds gооd", None),  # Cyrillic о: never a likely reading either
        ("x" * 1001 + "\nLooks good", None),
    ],
)
def test_a_likely_reading_needs_every_other_line_on_the_lists(
    text: str, probable: str | None
) -> None:
    assert likely(text, WORDS) == probable


@pytest.mark.parametrize(
    "text", ["1 story-point", "3 story points", "1 story point", "3 story-points"]
)
def test_a_unit_is_read_in_the_singular_and_with_a_space_for_its_hyphen(text: str) -> None:
    assert read_quantity(text, "story-points", US).value == text.split()[0]


def test_only_a_plural_s_is_dropped_to_find_a_conversion() -> None:
    assert read_quantity("2 week", "person-days", WEEKS).value == "10"
    with pytest.raises(FigureError, match="no conversion is configured for 'weekz'"):
        read_quantity("2 weekz", "person-days", WEEKS)


def test_a_number_no_format_reads_is_refused_without_readings() -> None:
    with pytest.raises(FigureError) as refused:
        read_number("1.2.3")
    assert refused.value.readings == ()
    with pytest.raises(FigureError) as asked:
        read_number("1,2,3")
    assert asked.value.readings == ("123",)


_HEADERS = (
    "From: FT <approvals@ft.example>\nSent: Monday, 2 November 2026 09:00\n"
    "To: Dana <dana@acme.example>\nSubject: CR-1 needs your decision\n"
)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"-----Original Message-----\n{_HEADERS}\nPlease reply APPROVED", "Please reply APPROVED"),
        (f"-----Original Message-----\n\n{_HEADERS}\nbody", "body"),
        (f"________________________________\n{_HEADERS}\nPlease reply", "Please reply"),
        (f"{_HEADERS}\nPlease reply APPROVED", "Please reply APPROVED"),
        (
            "-----Original Message-----\nFrom: FT <approvals@ft.example>\nSent: Monday\nTo: Dana\n"
            "Subject: CR-1 needs your\n decision soon\n\nPlease reply",
            "Please reply",
        ),
        (
            "-----Original Message-----\nFrom: FT <approvals@ft.example>\nSent: Monday\n"
            "Subject: CR-1 needs your\ndecision soon\nTo: Dana\n\nPlease reply",
            "Please reply",
        ),
        (
            "-----Original Message-----\nFrom: FT <approvals@ft.example>\nSent: Monday\nTo: Dana\n"
            "Reply-To: x@y.example\nSubject: CR-1\n\nPlease reply",
            "Please reply",
        ),
        ("-----Original Message-----\nbody text\nmore", "body text\nmore"),
        (
            "> On Mon, 2 Nov 2026 at 09:00, FT <approvals@ft.example> wrote:\n> > q\n> a",
            "> > q\n> a",
        ),
        ("> q\nunquoted line\n-- \nDana", "> q\nunquoted line"),
        ("> q\n----------\nafter", "> q"),
        ("\u200b\n> q\n\nApproved", "> q\n\nApproved"),
    ],
)
def test_a_forwarded_header_block_is_left_out_of_what_the_mail_shows(text: str, shown: str) -> None:
    assert visible_text(text) == shown


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        # One header after From: is not a header block, so nothing is cut there.
        (
            "Approved\n\nFrom: Dana <dana@acme.example>\nSubject: CR-1\n\nbody",
            "Approved\n\nFrom: Dana <dana@acme.example>\nSubject: CR-1\n\nbody",
        ),
        ("Approved\n\nFrom: Dana <dana@acme.example>\nSubject: CR-1\nTo: FT\n\nbody", "Approved"),
        (
            "Approved\n\nFrom: Dana Whitfield\n<dana@acme.example>\nSent: Monday\nTo: FT\n\nb",
            "Approved",
        ),
        # An address line ending in a colon is the quote's attribution only right above it.
        ("Approved\nFT <approvals@ft.example>:\n\n> Please reply", "Approved"),
        (
            "Approved\nFT <approvals@ft.example>:\n\n\n\n> Please reply",
            "Approved\nFT <approvals@ft.example>:",
        ),
        ("2026-11-02 09:00 GMT+01:00 FT <approvals@ft.example>:\n> q\n\nApproved", "Approved"),
        ("02.11.2026 FT <approvals@ft.example>:\n> q\n\nApproved", "Approved"),
        ("\u200b\n> q\n\nApproved", "Approved"),
    ],
)
def test_where_the_history_starts(text: str, reply: str) -> None:
    assert new_text(text) == reply


# --- colours: what text and its background are, or None when not knowable ----------------


@pytest.mark.parametrize(
    ("value", "rgba"),
    [
        ("transparent", (0, 0, 0, 0.0)),
        (" Red ", (255, 0, 0, 1.0)),
        ("windowtext", (0, 0, 0, 1.0)),
        ("linktext", (0, 0, 238, 1.0)),
        ("#abc", (170, 187, 204, 1.0)),
        ("#abcd", (170, 187, 204, 0xDD / 255)),
        ("#a0b0c0", (160, 176, 192, 1.0)),
        ("#a0b0c080", (160, 176, 192, 0x80 / 255)),
        ("rgb(255, 0, 0)", (255, 0, 0, 1.0)),
        ("rgb(100% 50% 0% / 50%)", (255, 127, 0, 0.5)),
        ("rgba(300,-5,10,2)", (255, 0, 10, 1.0)),
        ("rgb(1 2 3 / 0.25)", (1, 2, 3, 0.25)),
        ("rgb(1e2, 0, 0)", (100, 0, 0, 1.0)),
        ("hsl(120, 100%, 50%)", (0, 255, 0, 1.0)),
        ("hsl(0.5turn 100% 50%)", (0, 255, 255, 1.0)),
        ("hsl(3.14159rad, 100%, 25%)", (0, 128, 127, 1.0)),
        ("hsl(200grad 100% 50%)", (0, 255, 255, 1.0)),
        ("hsla(240deg, 100%, 50%, 0.5)", (0, 0, 255, 0.5)),
        ("hsl(-120, 100%, 50%)", (0, 0, 255, 1.0)),
        ("var(--x)", None),
        ("rgb(1,2)", None),
        ("rgb(1,2,3,4,5)", None),
        ("rgb(a,b,c)", None),
        ("ffffff", None),  # hashless in CSS: depends on quirks mode
        ("lab(50% 0 0)", None),
    ],
)
def test_css_colours_are_read_exactly_or_not_at_all(
    value: str, rgba: tuple[int, int, int, float] | None
) -> None:
    assert css_color(value) == (pytest.approx(rgba) if rgba else None)


@pytest.mark.parametrize(
    ("value", "rgba"),
    [
        ("ffffff", (255, 255, 255, 1.0)),
        ("#fff", (255, 255, 255, 1.0)),
        (" White ", (255, 255, 255, 1.0)),
        ("chucknorris", None),  # the legacy algorithm's red: not guessed
        ("#ffff", None),
        ("#12345", None),
    ],
)
def test_colour_attributes_are_read_in_the_forms_every_client_reads_alike(
    value: str, rgba: tuple[int, int, int, float] | None
) -> None:
    assert attribute_color(value) == rgba


def test_a_colour_is_painted_over_the_one_below_by_its_alpha() -> None:
    assert over((255, 0, 0, 0.5), (255, 255, 255)) == (255, 128, 128)
    assert over((0, 0, 0, 0.0), (10, 20, 30)) == (10, 20, 30)
    assert over((1, 2, 3, 1.0), (9, 9, 9)) == (1, 2, 3)


# --- HTML as a mail client renders it ------------------------------------------------------

_HIDDEN_STYLES = [
    "display:none", "visibility:hidden", "visibility:collapse", "mso-hide:all",
    "opacity:0", "opacity:0.099", "font-size:0", "font-size:1px", "font-size:1pt",
    "font-size:1", "font-size:0em", "font-size:-1em", "overflow:hidden;max-height:0",
    "overflow:hidden;height:0px", "overflow:hidden;width:0", "overflow:hidden;max-width:0",
    "text-indent:-500px", "position:absolute;left:-500px", "position:fixed;top:-9999px",
    "position:absolute;right:-5000px", "display:none !important", "DISPLAY:NONE",
    "color:#fff", "color:#e7e7e7", "color:transparent", "color:rgba(0,0,0,0.05)",
]  # fmt: skip
_SHOWN_STYLES = [
    "opacity:0.1", "font-size:1.5px", "font-size:2px", "font-size:0.5em", "font-size:1%",
    "overflow:visible;height:0", "max-height:0", "overflow:hidden;height:1px",
    "text-indent:-499px", "position:relative;left:-9999px", "position:absolute;left:-499px",
    "position:absolute;top:-499px", "display:none;display:block", "color:#e6e6e6",
    "color:#fff;background:#000", "color:#fff;background-color:#000",
    "-webkit-text-fill-color:currentcolor",
]  # fmt: skip
_UNCLEAR_STYLES = [
    "-webkit-text-fill-color:#fff", "background-clip:text", "-webkit-background-clip:text",
    "background:url(x.png);color:#fff",
]  # fmt: skip


@pytest.mark.parametrize("style", _HIDDEN_STYLES)
def test_text_no_reader_sees_is_left_out(style: str) -> None:
    assert html_to_text(f'<p>Rejected</p><p style="{style}">APPROVED</p>') == "Rejected"


@pytest.mark.parametrize("style", _SHOWN_STYLES)
def test_text_a_reader_sees_is_kept(style: str) -> None:
    assert html_to_text(f'<p>Rejected</p><p style="{style}">APPROVED</p>') == (
        "Rejected\n\nAPPROVED"
    )


@pytest.mark.parametrize("style", _UNCLEAR_STYLES)
def test_text_that_may_or_may_not_show_is_marked(style: str) -> None:
    text = html_to_text(f'<p>Rejected</p><p style="{style}">APPROVED</p>')
    assert text == f"Rejected\n\n{UNCLEAR_OPEN}APPROVED{UNCLEAR_CLOSE}"
    assert unmarked(text) == "Rejected\n\nAPPROVED"


_CELL = '<tr><td><font color="{}">APPROVED</font></td></tr>'


_CELL = '<tr><td><font color="{}">APPROVED</font></td></tr>'


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<div style="background:#000"><p style="color:#000">APPROVED</p></div>', ""),
        ('<div style="background:#000"><p style="color:#fff">APPROVED</p></div>', "APPROVED"),
        (f'<table bgcolor="#000000">{_CELL.format("#000000")}</table>', ""),
        (f'<table bgcolor="#000000">{_CELL.format("#ffffff")}</table>', "APPROVED"),
        ('<body bgcolor="black"><p>APPROVED</p></body>', ""),
    ],
)
def test_a_background_is_inherited_by_the_text_on_it(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_a_signature_title_line_in_capitals_is_quiet() -> None:
    assert _kind("Approved\n\nDana Whitfield\nEXECUTIVE ASSISTANT | Acme") == "APPROVED"
    assert _kind("Approved\n\nDana Whitfield\nHead of IT | Acme") == "APPROVED"


def test_the_same_decision_again_below_adds_nothing() -> None:
    assert _kind("Approved\nApproved, thanks.") == "APPROVED"
    assert _kind("DONE\nDone.") == "DONE"


def test_a_likely_line_of_exactly_the_line_cap_is_still_read() -> None:
    line = ("Looks good" + " thanks" * 140)[:1000].ljust(1000, ".")
    assert likely(line, WORDS) == "APPROVED"
    assert likely(line + ".", WORDS) is None


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            "<p>Approved</p><blockquote><p>Please reply</p></blockquote><p>after</p>",
            "Approved\n\n> Please reply\n>\nafter",
        ),
        (
            "<p>Approved</p><blockquote><blockquote><p>deep</p></blockquote><p>one</p>"
            "</blockquote><p>after</p>",
            "Approved\n\n> deep\n>\n> one\n>\nafter",
        ),
        (
            '<p>Approved</p><div class="GMAIL_QUOTE other"><p>q</p></div><p>after</p>',
            "Approved\n\n> q\n>\nafter",
        ),
        ('<p>Approved</p><div class="yahoo_quoted">q</div>after', "Approved\n\n> q\nafter"),
        (
            '<p>Approved</p><div id="divRplyFwdMsg">From: FT</div><p>history</p>',
            "Approved\n\n> From: FT\n>\n> history\n>",
        ),
        ('<p>Approved</p><div ID="AppendOnSend"></div><p>history</p>', "Approved\n\n> history\n>"),
        ('<p>Approved</p><hr id="stopSpelling"><p>history</p>', "Approved\n\n> history\n>"),
        ("<blockquote>q<p>in</p></blockquote>out", "> q\n> in\n>\nout"),
        ("<div><blockquote>q</div>out", "> q\nout"),  # an unclosed quote ends with its parent
        ("<blockquote></blockquote>", ""),
    ],
)
def test_quoted_history_in_html_comes_out_as_quoted_lines(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("Approved<br>thanks<br/>Dana", "Approved\nthanks\nDana"),
        ("Approved<style>p{}</style><script>x</script> now", "Approved now"),
        ("<head><title>T</title></head><body>Approved</body>", "Approved"),
        ("<div>one<span>two</span>three</div><div>four</div>", "onetwothree\n\nfour"),
        ("<p>a</p><p></p><p></p><p>b</p>", "a\n\nb"),
        ("<p>Approved<img src=x>done</p>", "Approveddone"),
        ("<p>⟦hard to see: x⟧</p>", "[hard to see: x]"),  # the marks cannot be forged
    ],
)
def test_html_lines_are_the_blocks_and_breaks_a_reader_sees(html: str, text: str) -> None:
    assert html_to_text(html) == text


_U = f"{UNCLEAR_OPEN}APPROVED{UNCLEAR_CLOSE}"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p hidden>APPROVED</p>ok", "ok"),
        ('<input type="HIDDEN" value="x">ok', "ok"),
        ('<div hidden><p style="display:block">APPROVED</p></div>ok', "ok"),
        ('<body text="#ffffff"><p>APPROVED</p></body>', ""),
        ('<body text="#ffffff" bgcolor="#000000"><p>APPROVED</p></body>', "APPROVED"),
        ('<body link="#ffffff"><a href="x">APPROVED</a></body>', ""),
        ('<a href="x">APPROVED</a>', "APPROVED"),
        ('<font color="white">APPROVED</font>', ""),
        ('<td background="x.png"><font color="white">APPROVED</font></td>', _U),
        ('<p style="color:#fff"><span style="color:inherit">APPROVED</span></p>', ""),
        ('<p style="color:#fff"><span style="color:initial">APPROVED</span></p>', "APPROVED"),
        ('<p style="color:#fff"><span style="color:currentcolor">APPROVED</span></p>', ""),
        ('<p style="color:#fff;background-color:currentcolor">APPROVED</p>', ""),
        ('<p style="color:var(--x)">APPROVED</p>', _U),
    ],
)
def test_structure_and_inherited_colours_decide_what_shows(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("background", "inner", "text"),
    [
        ("background:#000", "color:#fff;background-color:transparent", "APPROVED"),
        ("background:#000", "color:#000;background-color:#fff", "APPROVED"),
        ("background:#000", "color:#fff;background:none", "APPROVED"),
        ("background-image:url(x.png)", "color:#fff", _U),
        ("background-image:none", "color:#fff", ""),
        ("background:linear-gradient(#000,#000)", "color:#fff", _U),
        ("background:#000 no-repeat 0 0", "color:#fff", "APPROVED"),
        ("background:rgb(0,0,0) center", "color:#fff", "APPROVED"),
        ("background:var(--x)", "color:#fff", _U),
        ("background:foo", "color:#fff", _U),
        ("background:rgba(0,0,0,0.5)", "color:#fff", "APPROVED"),
        ("background:#000", "background:rgba(255,255,255,0.5);color:#808080", ""),
    ],
)
def test_the_colour_under_the_text_is_worked_out_or_marked_unknown(
    background: str, inner: str, text: str
) -> None:
    html = f'<div style="{background}"><p style="{inner}">APPROVED</p></div>'
    assert html_to_text(html) == text


# --- style sheets: applied as a browser would, or the text marked as not knowable ----------

_PAGE_BODY = '<p class="x">APPROVED</p><p>ok</p>'
_BOTH = "APPROVED\n\nok"
_NEITHER = f"{UNCLEAR_OPEN}APPROVED{UNCLEAR_CLOSE}\n\n{UNCLEAR_OPEN}ok{UNCLEAR_CLOSE}"


_H = ".x{display:none}"


def _css(sheet: str) -> str:
    return f"<style>{sheet}</style>"


@pytest.mark.parametrize(
    ("sheet", "resolved", "text"),
    [
        pytest.param(_css(f"{_H}"), True, "ok", id="class-none"),
        pytest.param(_css("body{background:#000} p{color:#fff}"), True, _BOTH, id="body-black"),
        pytest.param(_css("p.x{color:#fff}"), True, "ok", id="p-white"),
        pytest.param(_css(f"@media screen{{{_H}}}"), False, _NEITHER, id="media"),
        pytest.param(
            _css(f"@font-face{{font-family:x;src:local(x)}} {_H}"), True, "ok", id="font-face"
        ),
        pytest.param(_css(f"@import url(x.css); {_H}"), False, _NEITHER, id="import"),
        pytest.param(_css(f"@page{{margin:1cm}} {_H}"), True, "ok", id="page"),
        pytest.param(_css(f'@charset "utf-8"; {_H}'), True, "ok", id="charset"),
        pytest.param(_css('.x::before{content:"NOT "}'), False, _NEITHER, id="before"),
        pytest.param(_css(f".x::selection{{color:red}} {_H}"), True, "ok", id="selection"),
        pytest.param(_css(f".x:hover{{color:red}} {_H}"), True, "ok", id="hover"),
        pytest.param(_css(".x:is(p){display:none}"), False, _NEITHER, id="is"),
        pytest.param(_css("p:nth-child(1 of .x){display:none}"), False, _NEITHER, id="nth-of"),
        pytest.param(_css(".x:first-line{color:#fff}"), False, _NEITHER, id="first-line"),
        pytest.param(_css(f"p{{ {_H} }}"), False, _NEITHER, id="nested"),
        pytest.param(_css(".\\78{display:none}"), False, _NEITHER, id="escape"),
        pytest.param(_css(f"/* {_H} */ p{{color:#000}}"), True, _BOTH, id="comment"),
        pytest.param(_css(f'.x{{font-family:"a}}b"}} {_H}'), True, "ok", id="string-brace"),
        pytest.param(_css(f"<!-- {_H} -->"), True, "ok", id="html-comment-in-css"),
        pytest.param(f'<style media="print">{_H}</style>', False, _NEITHER, id="media-print"),
        pytest.param(f'<style media="screen">{_H}</style>', True, "ok", id="media-screen"),
        pytest.param(f'<style type="text/less">{_H}</style>', False, _NEITHER, id="type-less"),
        pytest.param(f'<style type="TEXT/CSS">{_H}</style>', True, "ok", id="type-css"),
        pytest.param('<link rel="stylesheet" href="x.css">', False, _NEITHER, id="link-sheet"),
        pytest.param(
            f'<link rel="icon" href="x.ico"><style>{_H}</style>', True, "ok", id="link-icon"
        ),
        pytest.param(f"<template><style>{_H}</style></template>", False, _NEITHER, id="template"),
        pytest.param(f"<svg><style>{_H}</style></svg>", False, _NEITHER, id="svg"),
        pytest.param(
            f'<style data-css-inline="ignore">{_H}</style>', False, _NEITHER, id="data-css-inline"
        ),
        pytest.param(f"<!-- <style>{_H}</style> -->", True, _BOTH, id="in-comment"),
        pytest.param(f'<script>var s="<style>{_H}</style>"</script>', True, _BOTH, id="in-script"),
        pytest.param(_css(".x{display:none !important}"), True, "ok", id="important"),
        pytest.param(_css(""), True, _BOTH, id="empty"),
        pytest.param(_css("/* nothing */"), True, _BOTH, id="only-comment"),
        pytest.param(_css(".x{display:none"), True, "ok", id="open-block"),
        pytest.param(_css(f"@supports (display:grid){{{_H}}}"), False, _NEITHER, id="unknown-at"),
        pytest.param(_css("p:not(.y){display:none}"), True, "", id="quiet-not"),
        pytest.param(_css("p{}" * 40000), False, _NEITHER, id="huge"),
    ],
)
def test_a_style_sheet_is_applied_only_where_a_browser_agrees(
    sheet: str, resolved: bool, text: str
) -> None:
    page = sheet + _PAGE_BODY
    assert apply_stylesheets(page).resolved is resolved
    assert html_to_text(page) == text


def test_an_inline_style_wins_over_the_sheet_and_a_page_without_sheets_is_left_alone() -> None:
    page = '<style>.x{display:none}</style><p class="x" style="display:block">APPROVED</p>'
    assert html_to_text(page) == "APPROVED"
    assert apply_stylesheets("<p>x</p>") == Styled("<p>x</p>", True)


def test_a_confirmed_remark_also_settles_a_line_the_stage_reads_narrowly() -> None:
    text = "UAT passed, signed off\nThe rounding is fixed."
    known = decide.Known(remarks=frozenset({decide.remark_key("The rounding is fixed.")}))
    assert _said(read_reply(WORKFLOW, "uat", text)) == "REMARK"
    assert _said(read_reply(WORKFLOW, "uat", text, known)) == "SIGNED OFF"


def test_a_confirmed_remark_counts_in_the_text_and_in_the_html() -> None:
    known = decide.Known(remarks=frozenset({decide.remark_key("The rounding is fixed.")}))
    remark = "Passed\nThe rounding is fixed."
    assert _said(read_message(WORKFLOW, "qa_testing", remark, None, known)) == "PASSED"
    assert _said(read_message(WORKFLOW, "qa_testing", "Passed", remark, known)) == "PASSED"
    assert _said(read_message(WORKFLOW, "qa_testing", "Passed", remark)) == "PARTS_DISAGREE"


def test_a_field_the_stage_does_not_take_is_no_field_there() -> None:
    assert not isinstance(
        read_reply(WORKFLOW, "in_principle", "Approved\nEffort: 12"), decide.Decision
    )


def test_an_unclear_reading_is_quoted_when_it_has_a_line() -> None:
    read = read_message(WORKFLOW, "in_principle", "Maybe", "Approved")
    assert read.reason == (
        "The plain-text and formatted versions of your mail do not say the same: one reads "
        "no clear decision ('Maybe'), the other APPROVED ('Approved')."
    )


def test_the_same_decision_in_a_sentence_with_more_words_is_a_remark() -> None:
    read = decide.read("Approved\nApproved, the rounding is fixed.", WORDS)
    assert isinstance(read, decide.Unclear) and read.kind is decide.UnclearKind.REMARK


def test_saturation_over_a_hundred_percent_is_a_hundred() -> None:
    assert css_color("hsl(120, 150%, 50%)") == (0, 255, 0, 1.0)


def test_a_css2_pseudo_element_and_comments_around_a_sheet() -> None:
    assert html_to_text('<style>.x:before{content:"NOT "}</style><p class="x">APPROVED</p>') == (
        f"{UNCLEAR_OPEN}APPROVED{UNCLEAR_CLOSE}"
    )
    page = f'<!-- a --><style>{_H}</style><!-- b --><p class="x">APPROVED</p><p>ok</p>'
    assert html_to_text(page) == "ok"


@pytest.mark.parametrize(
    "style",
    [
        "opacity:auto",
        "position:absolute;left:auto",
        "overflow:hidden;height:auto",
        "text-indent:inherit",
        "font-size:large",
        "color:#000;-webkit-text-fill-color:#000",
    ],
)
def test_a_style_value_that_is_no_number_hides_nothing(style: str) -> None:
    assert html_to_text(f'<p style="{style}">APPROVED</p>') == "APPROVED"


def test_a_link_typed_hidden_and_an_hsl_background_still_show() -> None:
    assert html_to_text('<a href="x" type="hidden">APPROVED</a>') == "APPROVED"
    html = '<div style="background:hsl(0,0%,0%)"><p style="color:#fff">APPROVED</p></div>'
    assert html_to_text(html) == "APPROVED"


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        # A From: line needs two more headers within its next seven lines.
        ("Approved\n\nFrom: Dana\na\nb\nc\nd\ne\nSent: Monday\nTo: FT\n\nbody", "Approved"),
        (
            "Approved\n\nFrom: Dana\na\nb\nc\nd\ne\nf\nSent: Monday\nTo: FT\n\nbody",
            "Approved\n\nFrom: Dana\na\nb\nc\nd\ne\nf\nSent: Monday\nTo: FT\n\nbody",
        ),
        # An attribution two blank lines above its quote is too far to be its opening.
        ("Approved\nFT <approvals@ft.example>:\n\n\n> q", "Approved\nFT <approvals@ft.example>:"),
        # A dated line with only a sender's name opens the quote below it.
        ("2026-11-02 09:00 Dana Whitfield\n> q\n\nApproved", "Approved"),
    ],
)
def test_how_far_history_markers_reach(text: str, reply: str) -> None:
    assert new_text(text) == reply


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("REJECTED too costly, wait", "TAKEN_BACK_BELOW"),  # a one-word retraction
        ("Approved?thanks", "QUESTION"),
        ("Approved maybe. Why?", "QUESTION"),
        ("¿REJECTED too costly", "MORE_THAN_A_DECISION"),
    ],
)
def test_how_a_line_is_refused(text: str, kind: str) -> None:
    assert _kind(text) == kind


def test_fields_above_a_reason_verb_are_not_its_fields() -> None:
    read = decide.read("Cost: 9\nREJECTED too costly", WORDS)
    assert isinstance(read, decide.Decision) and dict(read.fields) == {}


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>A &amp; B</p>", "A & B"),
        (
            '<p><span style="background-clip:text">APPROVED </span>now</p>',
            f"{UNCLEAR_OPEN}APPROVED{UNCLEAR_CLOSE} now",
        ),
        ('<div><span class="gmail_quote">q</span> out</div>', "> q out"),
        ('<p>a</p><div class="gmail_quote"/><p>b</p>', "a\n\nb"),
        ("<head><title>T</title>x</head><p>ok</p>", "ok"),
        ("<p>Xerox</p><p>OK X</p>", "Xerox\n\nOK X"),
        (
            '<style>.x:after{content:"NOT"}</style><p class="x">APPROVED</p>',
            f"{UNCLEAR_OPEN}APPROVED{UNCLEAR_CLOSE}",
        ),
    ],
)
def test_more_html_as_a_reader_sees_it(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_a_footer_at_the_end_of_the_line_is_cut_and_the_rest_kept_as_written() -> None:
    assert new_text("  Approved Sent from my iPhone") == "  Approved"


def test_a_notice_with_words_of_the_sender_in_it_stays() -> None:
    text = (
        "Approved\n\nThis email and any attachments are confidential and intended solely for "
        "the addressee, except the budget cut which we reject."
    )
    assert new_text(text) == text


@pytest.mark.parametrize(
    ("text", "probable"),
    [
        ("No go, Dana", "REJECTED"),
        ("No go, Dаna", None),  # Cyrillic а: even a no in other words is not offered
        ("Looks good\nNot yet\nThanks", None),  # every line below counts, not only the last
    ],
)
def test_a_likely_reading_reads_every_line_and_every_letter(
    text: str, probable: str | None
) -> None:
    assert likely(text, WORDS) == probable


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # The body may follow the header block without a blank line.
        (
            "-----Original Message-----\nFrom: FT <approvals@ft.example>\nSent: Monday\n"
            "To: Dana\nPlease reply",
            "Please reply",
        ),
        # A blank line after the separator, then a From: value folded onto the next line.
        (
            "-----Original Message-----\n\nFrom: FT Change Requests\n <approvals@ft.example>\n"
            "Sent: Monday\nTo: Dana\n\nbody",
            "body",
        ),
    ],
)
def test_a_header_block_ends_where_its_headers_end(text: str, shown: str) -> None:
    assert visible_text(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "-----Original Message-----",
        "-----Original Message-----\n\n",
        "-----Original Message-----\nFrom: a <a@b.example>\nSent: b\nTo: c",
        "-----Original Message-----\nFrom: FT\nSent: Monday\nSubject: CR-1 needs your\ndecision\n"
        "To: Dana",
    ],
)
def test_a_forward_that_ends_with_its_headers_shows_nothing(text: str) -> None:
    assert visible_text(text) == ""


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("Approved\nThanks\n\nGet Outlook for iOS\n<https://aka.ms/o0ukef>", "Approved\nThanks"),
        ("Approved\nSent from my iPhone\n\u200b", "Approved"),
        ("Approved and more Sent from my iPhone", "Approved and more"),
        ("Approved Sent from my iPhone", "Approved"),
        (
            "This email and any attachments are confidential and intended solely for the use "
            "of the individual to whom they are addressed.",
            "",
        ),
    ],
)
def test_footers_and_notices_are_cut_from_the_end(text: str, reply: str) -> None:
    assert new_text(text) == reply


def test_a_line_too_long_to_read_beside_a_yes_is_quoted_cut_short() -> None:
    read = decide.read("Approved\n" + "x" * 1001, WORDS)
    assert isinstance(read, decide.Unclear) and read.kind is decide.UnclearKind.TAKEN_BACK_BELOW
    assert read.reason.startswith("'" + "x" * 117 + "...' may change or take back APPROVED")
    quiet = ("thanks " * 143)[:1000]  # exactly the line cap: still read
    assert _kind("Approved\n" + quiet) == "APPROVED"


def test_a_reply_just_under_the_text_cap_is_read_whole() -> None:
    text = "\n".join(["Approved"] + ["thanks"] * 2700)
    assert len(text) < 20_000 and _kind(text) == "APPROVED"


def test_a_misspelt_field_name_of_two_words_is_asked_back_with_the_name_meant() -> None:
    read = decide.read("Approved\nEfort estimate: 5", WORDS)
    assert isinstance(read, decide.Unclear)
    assert "Did you mean 'Estimate: 5'?" in read.reason


@pytest.mark.parametrize(("stage", "verb"), [("uat", "SIGNED OFF"), ("qa_testing", "PASSED")])
def test_a_confirmed_remark_counts_when_the_stage_settles_two_verbs(stage: str, verb: str) -> None:
    text = "Passed, signed off\nThe rounding is fixed."
    known = decide.Known(remarks=frozenset({decide.remark_key("The rounding is fixed.")}))
    assert _said(read_reply(WORKFLOW, stage, text)) == "BOTH"
    assert _said(read_reply(WORKFLOW, stage, text, known)) == verb


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<p color="white">APPROVED</p>', "APPROVED"),  # only <font> takes a color attribute
        (
            '<div style="background:no-repeat #000"><p style="color:#fff">APPROVED</p></div>',
            "APPROVED",
        ),
        ('<p style="color:#fff;background:currentcolor">APPROVED</p>', ""),
    ],
)
def test_colour_attributes_and_background_shorthands_as_browsers_read_them(
    html: str, text: str
) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        # Over 300 characters, an "On … wrote:" line is not taken for an attribution.
        ("Approved\nOn " + "x" * 300 + " wrote:\n> q", "Approved\nOn " + "x" * 300 + " wrote:"),
        # A sender's name of six words after the date still names a sender.
        ("2026-11-02 09:00 Anna Maria de la Cruz Whitfield\n> q\n\nApproved", "Approved"),
        (
            "Approved\n\nThis email and any attachments are confidential and intended solely for "
            "the addressee. If you received it in error, please notify postmaster@acme.example "
            "and delete it.",
            "Approved",
        ),
    ],
)
def test_attributions_and_notices_at_their_limits(text: str, reply: str) -> None:
    assert new_text(text) == reply


def test_a_dated_attribution_is_left_out_of_what_the_mail_shows() -> None:
    assert visible_text("2026-11-02 09:00 Dana Whitfield\n> q\n\nApproved") == "Approved"


def test_a_retraction_inside_a_reason_is_found_wherever_it_stands() -> None:
    assert _kind("REJECTED too costly, wait for the final cost") == "TAKEN_BACK_BELOW"


# --- trailers, notices and colours at their edges --------------------------------------------

_NOTICE = (
    "This email and any attachments are confidential and intended only for the addressee. "
    "If you have received this email in error, please notify the sender and delete it."
)


def test_a_footer_closing_a_long_line_is_cut_from_its_last_characters() -> None:
    long_line = "word " * 100 + "Approved Sent from my iPhone"
    assert new_text(long_line) == ("word " * 100 + "Approved")
    assert new_text("x" * 400 + " Approved Sent from my iPhone").endswith("x Approved")


def test_a_notice_is_one_of_its_opening_phrases_and_only_notice_words() -> None:
    assert notices.is_notice(_NOTICE)
    with_condition = _NOTICE + " Approved only if phase one is dropped."
    assert not notices.is_notice(with_condition), "a word of its own keeps it"
    no_opening = "please notify the sender and delete it, " * 3
    assert all(w in notices.lexicon() for w in notices.words(no_opening))
    assert not notices.is_notice(no_opening), "notice words without an opening phrase"


def _of_length(length: int) -> str:
    """A notice of exactly `length` characters: an opening phrase and notice words."""
    text = "confidential please notify the sender and delete it"
    while len(text) + 4 <= length - 4:
        text += " the"
    gap = length - len(text) - 1
    word = next(w for w in sorted(notices.lexicon()) if len(w) == gap and w.isalpha())
    return f"{text} {word}"


def test_a_notice_of_minimum_length_is_cut_and_one_shorter_is_not() -> None:
    exact = _of_length(notices.MIN_LENGTH)
    assert len(exact) == notices.MIN_LENGTH and notices.is_notice(exact)
    shorter = _of_length(notices.MIN_LENGTH - 1)
    assert len(shorter) == notices.MIN_LENGTH - 1 and not notices.is_notice(shorter)


def test_a_notice_filling_every_line_starts_at_the_first() -> None:
    lines = [
        "This email and any attachments are confidential and intended only for",
        "the addressee. If you have received this email in error, please notify",
        "the sender and delete it.",
    ]
    assert notices.notice_start(lines) == 0


def test_a_grey_hsl_colour_has_no_saturation() -> None:
    assert css_color("hsl(0, 0%, 50%)") == (128, 128, 128, 1.0)
    assert css_color("hsl(0 0% 50%)") == (128, 128, 128, 1.0)
