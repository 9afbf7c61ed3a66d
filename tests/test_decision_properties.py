"""Properties of the closed grammar, on top of the phrase suite: no line from a bad
category, combined with any plain approval, ever yields an affirmative decision."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow import decide
from mailflow.decide_normalize import _INVISIBLE, mixed_script_words, normalize_line
from tests.phrase_suite import load_cases, outcome, vocabulary

WORDS = vocabulary()
AFFIRMATIVE = {v.verb for v in WORDS.verbs if v.affirmative}
CASES = load_cases()
BAD_CATEGORIES = {
    "conditional", "partial-scoped", "reported-third-party", "counterfactual-modal-future",
    "questions", "negation", "contradiction", "disguise",
}  # fmt: skip
PLAIN_YES = sorted({c.text for c in CASES if c.category == "plain" and c.decision in AFFIRMATIVE})
BAD = sorted({c.text for c in CASES if c.category in BAD_CATEGORIES and c.expected == "?"})
SEPARATORS = [" ", ", ", " - ", " — ", "; ", ": ", " / ", " and "]


def _affirms(text: str) -> bool:
    read = decide.read(text, WORDS)
    return isinstance(read, decide.Decision) and read.verb in AFFIRMATIVE


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(PLAIN_YES), st.sampled_from(BAD), st.sampled_from(SEPARATORS))
def test_a_bad_line_beside_a_plain_yes_never_affirms(plain: str, bad: str, sep: str) -> None:
    first = plain.split("\n")[0]
    # After "Effort:" the rest of the line is that field's value, which its type reads
    # whole or refuses; only lines without a field are combined after the verb.
    after = [] if ":" in first else [f"{first}{sep}{bad}"]
    for text in (*after, f"{bad}{sep}{first}", f"{bad}\n{plain}"):
        assert not _affirms(text), text


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PLAIN_YES), st.sampled_from(BAD))
def test_a_bad_line_under_a_plain_yes_never_affirms_when_it_holds_a_condition(
    plain: str, bad: str
) -> None:
    """Below the decision line only listed conditions take a yes back: every bad line
    that holds one must do so there too."""
    watch = set(WORDS.conditions) | {n for n in WORDS.negations if n != "no"}
    lowered = normalize_line(bad).lower()
    if not any(f" {w} " in f" {lowered} " for w in watch):
        return
    assert not _affirms(f"{plain.split(chr(10))[0]}\n{bad}"), bad


INVISIBLES = [chr(c) for c in (0x200B, 0x200C, 0x200D, 0x2060, 0x00AD, 0xFEFF, 0x202E, 0x2066)]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(BAD), st.sampled_from(INVISIBLES), st.integers(0, 200))
def test_invisible_characters_never_turn_a_bad_line_into_a_yes(bad, mark, at) -> None:
    at %= len(bad) + 1
    assert not _affirms(bad[:at] + mark + bad[at:])


CONFUSABLES = {"o": "о", "a": "а", "e": "е", "p": "р", "c": "с", "O": "О", "A": "А", "E": "Е"}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(BAD + PLAIN_YES), st.integers(0, 200))
def test_a_cyrillic_look_alike_letter_never_yields_a_yes(line, at) -> None:
    # Field values are data, not words of the decision: only the other lines count.
    lines, offset, spots = line.split("\n"), 0, []
    for text in lines:
        if ":" not in text:
            spots += [offset + i for i, ch in enumerate(text) if ch in CONFUSABLES]
        offset += len(text) + 1
    if not spots:
        return
    i = spots[at % len(spots)]
    disguised = line[:i] + CONFUSABLES[line[i]] + line[i + 1 :]
    assert not _affirms(disguised), disguised


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_text_without_an_affirmative_phrase_never_affirms(text: str) -> None:
    normalised = normalize_line(text.replace("\n", " ")).lower()
    phrases = {p for v in WORDS.verbs if v.affirmative for p in v.phrases}
    if any(p.replace("-", " ") in normalised.replace("-", " ") for p in phrases):
        return
    assert not _affirms(text)


def test_every_format_character_is_removed_before_reading() -> None:
    missing = [
        f"U+{c:04X}"
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) == "Cf" and not _INVISIBLE.fullmatch(chr(c))
    ]
    assert missing == []


def test_normalising_folds_what_a_reader_sees_as_the_same() -> None:
    assert normalize_line("n\u200bot ap\u00adproved") == "not approved"
    assert normalize_line("_not_ *approved*") == "not approved"
    assert normalize_line("n&#111;t&nbsp;approved") == "not approved"
    assert normalize_line("ＡＰＰＲＯＶＥＤ") == "APPROVED"
    assert mixed_script_words("NОT APPROVED") == ["NОT"]
    assert mixed_script_words("Одобрено approved") == []


def test_likely_readings_are_only_questions() -> None:
    for case in CASES:
        got = outcome(case.text, WORDS)
        if got.startswith("?") and got != "?":
            assert not isinstance(decide.read(case.text, WORDS), decide.Decision)
