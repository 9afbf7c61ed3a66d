"""The decision grammar: variants are read, negations and ambiguity never approve."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.app import with_names
from mailflow.config.settings import load_settings
from mailflow.mail.reply_text import new_text
from mailflow.reading.decide import (
    Decision,
    Known,
    Unclear,
    UnclearKind,
    Vocabulary,
    read,
    remark_key,
)
from mailflow.reading.normalize import normalize_line
from mailflow.workflow.definition import load_workflow
from tests.helpers import ROOT

# a quoted subject names a CR of this year, whatever year the test runs in
YEAR = datetime.now(UTC).year


def vocabulary() -> Vocabulary:
    """The built-in workflow's vocabulary with the example configuration's people: the
    grammar is tested with the words it ships and the names it is given."""
    words = load_workflow(ROOT / "mailflow" / "workflow" / "change_request.toml").vocabulary
    return with_names(words, load_settings(ROOT / "config.example.toml"))


VOCAB = vocabulary()
AFFIRMATIVE = {v.verb for v in VOCAB.verbs if v.affirmative}


@pytest.mark.parametrize(
    ("text", "verb"),
    [
        ("APPROVED", "APPROVED"),
        ("Approved, thanks", "APPROVED"),
        ("APPROVED.", "APPROVED"),
        ("approved!", "APPROVED"),
        ("I approve", "APPROVED"),
        ("approve", "APPROVED"),
        ("  Approved  \n\nPriya", "APPROVED"),
        ("Hi Priya,\n\nApproved", "APPROVED"),
        ("Hello team\nAPPROVED", "APPROVED"),
        ("Dear all,\n\napproved, thanks", "APPROVED"),
        ("Hi Sam, approved.", "APPROVED"),
        ("Approval granted.", "APPROVED"),
        ("Approved — go ahead", "APPROVED"),
        ("REJECTED too expensive", "REJECTED"),
        ("IS CR", "IS CR"),
        ("Not CR - no cost for FT", "NOT CR"),
        ("This is not a CR", "NOT CR"),
        ("DONE", "DONE"),
        ("Signed off", "SIGNED OFF"),
        ("signed-off", "SIGNED OFF"),
        ("Deployed.", "DEPLOYED"),
        ("PASSED", "PASSED"),
        ("status?", "STATUS?"),
        ("STATUS ?", "STATUS?"),
        ("What is the status?", "STATUS?"),
        ("STATUS Finished the API layer", "STATUS"),
        ("On hold", "HOLD"),
        ("RESUME", "RESUME"),
    ],
)
def test_variants_are_read(text: str, verb: str) -> None:
    result = read(text, VOCAB)
    assert isinstance(result, Decision), result
    assert result.verb == verb


# Negations, questions, conditions and mixed verbs: none may approve (or move forward).
NOT_AFFIRMATIVE = [
    "not approved",
    "Not approved.",
    "can't approve",
    "cannot approve this",
    "don't approve yet",
    "dont approve",
    "I do not approve",
    "I don’t approve",
    "Approved? No.",
    "approved?",
    "Never approved this",
    "No, not approved",
    "won't approve until the PO arrives",
    "I haven't approved it",
    "Unable to approve",
    "It isn't approved",
    "Approved if Amar agrees",
    "approve once the cost is final",
    "I will approve tomorrow",
    "I would approve it",
    "maybe approve",
    "Approval pending",
    "pre-approved",
    "un-approved",
    "disapproved",
    "Approved and rejected",
    "approve or reject?",
    "Looks good to me",
    "OK",
    "Yes",
    "not done",
    "Done? Not yet",
    "not signed off",
    "wouldn't sign off",
    "Deployed? no",
    "It is not a CR",
    "is not cr",
    "Passed, failed on retry",
    "Approved, but not the timeline",
    "Hi Priya,",
    "",
    "   \n\n",
    "APPROVAL",
    "Budget Permitting,\nApproved",
    "Subject To Funding,\nApproved",
    "Next Quarter,\nApproved",
    "Approved\nJust kidding",
    "APPROVED\nAfter the freeze.",
    "Approved\nPer Bob",
    "DONE\nApproach: new column\nEffort: 12\nTimeline: 3 weeks\n"
    "But only if the backfill is dropped.",
    "Please approve",
    "Kindly approve by Friday",
    "Approve asap pls",
]


@pytest.mark.parametrize("text", NOT_AFFIRMATIVE)
def test_negations_and_ambiguity_never_affirm(text: str) -> None:
    result = read(text, VOCAB)
    assert not (isinstance(result, Decision) and result.verb in AFFIRMATIVE), result


@pytest.mark.parametrize(
    "text", ["not approved", "can't approve", "don't approve yet", "I do not approve"]
)
def test_a_negated_approval_is_a_question_back_not_a_rejection(text: str) -> None:
    result = read(text, VOCAB)
    assert isinstance(result, Unclear)
    assert "negation" in result.reason
    assert result.line == text


def test_unclear_reasons_say_what_happened() -> None:
    none = read("Looks good to me", VOCAB)
    assert isinstance(none, Unclear)
    assert none.reason == "No decision word was found in: 'Looks good to me'"
    both = read("Approved and rejected", VOCAB)
    assert isinstance(both, Unclear) and "Both APPROVED and REJECTED" in both.reason


def test_lines_above_the_decision_are_read_by_the_closed_rule() -> None:
    agreeing = read("Looks good to me.\nAPPROVED", VOCAB)
    assert isinstance(agreeing, Decision) and agreeing.verb == "APPROVED"
    condition = read("Budget Permitting,\nApproved", VOCAB)
    assert isinstance(condition, Unclear) and condition.kind is UnclearKind.REMARK
    assert condition.remark == "Budget Permitting,"
    assert condition.as_written is not None and condition.as_written.verb == "APPROVED"


def test_a_remark_off_the_lists_is_asked_back_with_what_confirm_would_record() -> None:
    text = (
        "DONE\nApproach: new column\nEffort: 12\nTimeline: 3 weeks\n"
        "But only if the backfill is dropped."
    )
    result = read(text, VOCAB)
    assert isinstance(result, Unclear) and result.kind is UnclearKind.REMARK
    assert result.remark == "But only if the backfill is dropped."
    assert "'But only if the backfill is dropped.'" in result.reason
    assert result.as_written is not None
    assert result.as_written.verb == "DONE" and result.as_written.fields["effort"] == "12"


def test_a_remark_confirmed_before_by_the_sender_is_accepted() -> None:
    known = Known(remarks=frozenset({remark_key("After the freeze.")}))
    assert isinstance(read("APPROVED\nafter the FREEZE", VOCAB, known), Decision)
    assert isinstance(read("APPROVED\nAfter the freeze, maybe.", VOCAB, known), Unclear)


def test_a_request_is_never_a_decision() -> None:
    for text in ("Please approve", "Kindly approve", "Pls approve.", "Could you approve"):
        result = read(text, VOCAB)
        assert isinstance(result, Unclear), text
    assert read("Please approve", VOCAB).kind is UnclearKind.REQUEST  # type: ignore[union-attr]


def test_a_field_name_close_to_a_known_one_is_asked_as_did_you_mean() -> None:
    result = read("DONE\nCots: USD 9,600", VOCAB)
    assert isinstance(result, Unclear) and result.kind is UnclearKind.FIELD_NAME
    assert "Did you mean 'Cost: USD 9,600'?" in result.reason


def test_a_signature_of_names_titles_and_contact_lines_is_quiet() -> None:
    text = (
        "Approved\n\nBest regards,\nDana Whitfield\nHead of Finance | Acme Retail\n"
        "Mobile: +44 7700 900123\ndana@acme.example\nhttps://acme.example"
    )
    assert isinstance(read(text, VOCAB), Decision)
    for line in ("Pending board sign-off", "Head of Finance, after the merger", "Tel: soon"):
        signed = read(f"Approved\n\nBest regards,\nDana Whitfield\n{line}", VOCAB)
        assert isinstance(signed, Unclear), line


def test_reason_text_is_the_rest_of_the_line_and_following_lines() -> None:
    result = read("REJECTED: too expensive\nand too late for Q2\n\nThanks,\nBob", VOCAB)
    assert isinstance(result, Decision)
    assert result.verb == "REJECTED"
    assert result.text == "too expensive\nand too late for Q2"


def test_a_reason_may_mention_other_keywords() -> None:
    result = read("REJECTED - the budget is not approved by finance", VOCAB)
    assert isinstance(result, Decision)
    assert result.verb == "REJECTED"
    assert result.text == "the budget is not approved by finance"


def test_fields_are_read_from_every_key_value_line() -> None:
    text = (
        "DONE\nApproach: new SFTP adapter\nEffort: 12\nTimeline: 3 weeks\n"
        "Jira: ABC-123 https://jira.acme.example/browse/ABC-123\nDue: 2026-12-15\n"
        "Cost: USD 9,600\nLink:\nhttps://docs.acme.example/cr-12"
    )
    result = read(text, VOCAB)
    assert isinstance(result, Decision)
    assert result.verb == "DONE" and result.text == ""
    assert result.fields["effort"] == "12"
    assert result.fields["jira"] == "ABC-123 https://jira.acme.example/browse/ABC-123"
    assert result.fields["due"] == "2026-12-15"
    assert result.fields["cost"] == "USD 9,600"
    assert result.fields["approach"] == "new SFTP adapter"
    assert result.fields["link"] == "https://docs.acme.example/cr-12"
    assert "https" not in result.fields


def test_fields_on_the_verb_line_and_status_text() -> None:
    done = read("DONE - Effort: 5", VOCAB)
    assert isinstance(done, Decision) and done.fields == {"effort": "5"}
    status = read("STATUS: API layer finished\nEffort: 4", VOCAB)
    assert isinstance(status, Decision)
    assert (status.verb, status.text, dict(status.fields)) == (
        "STATUS",
        "API layer finished",
        {"effort": "4"},
    )


def test_decision_words_in_quoted_text_do_not_count() -> None:
    bodies = [
        "Thanks, will look tomorrow.\n\nOn Tue, 3 Mar 2026 at 10:00, CR Desk <cr@ft.example> "
        "wrote:\n> APPROVED",
        "\n> APPROVED\n",
        "Let me check.\n\n-----Original Message-----\nFrom: Priya\nSent: Monday\n"
        f"To: CR Desk\nSubject: Re: [CR-{YEAR}-0042]\n\nApproved",
        "Checking with finance\n\nFrom: Priya Okafor <priya.okafor@acme.example>\n"
        "Sent: 02 March 2026 17:40\nTo: CR Desk\nSubject: RE: CR\n\nAPPROVED",
        "FYI\n\n---------- Forwarded message ---------\nFrom: Priya\n\nAPPROVED",
        "Am 09.03.2026 um 17:05 schrieb Priya Okafor:\n> APPROVED",
    ]
    for body in bodies:
        result = read(new_text(body), VOCAB)
        assert not isinstance(result, Decision), (body, result)


HEDGES = ("but", "however", "unless", "if", "maybe", "perhaps", "probably", "except")
# Free words around the phrase: whole hedges and other words as well as stray letters, so
# the tail can itself carry a hedge, which a tail of a few fixed letters never could.
TAILS = st.lists(
    st.one_of(
        st.sampled_from([*HEDGES, "thanks", "now", "ok", "the", "cost"]),
        st.text(alphabet=string.ascii_letters + ",.!", max_size=8),
    ),
    max_size=4,
).map(lambda words: "".join(f" {w}" for w in words))

# Every affirmative verb's words, as the workflow lists them.
_affirmative_words = tuple(
    p.replace("-", " ") for v in VOCAB.verbs if v.affirmative for p in v.phrases
)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_text_without_an_affirmative_phrase_never_affirms(text: str) -> None:
    lowered = normalize_line(text.replace("\n", " ")).lower().replace("-", " ")
    if any(word in lowered for word in _affirmative_words):
        return
    result = read(text, VOCAB)
    assert not (isinstance(result, Decision) and result.verb in AFFIRMATIVE)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["not", "don't", "do not", "can't", "never", "won't", "unable to"]),
    st.sampled_from(["approved", "approve", "done", "signed off", "passed", "deployed"]),
    TAILS,
)
def test_any_negated_affirmative_is_unclear(negation: str, phrase: str, tail: str) -> None:
    for text in (f"{negation} {phrase}{tail}", f"I {negation} {phrase}", f"{phrase} - {negation}"):
        result = read(text, VOCAB)
        assert isinstance(result, Unclear), (text, result)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["Approved", "APPROVED", "Done", "Signed off", "Passed"]),
    st.sampled_from(HEDGES),
    TAILS,
)
def test_a_hedged_affirmative_never_affirms(phrase: str, hedge: str, tail: str) -> None:
    for text in (f"{phrase} {hedge}{tail}", f"{phrase}, {hedge} {tail}", f"{hedge} {phrase}"):
        result = read(text, VOCAB)
        assert not (isinstance(result, Decision) and result.verb in AFFIRMATIVE), (text, result)
