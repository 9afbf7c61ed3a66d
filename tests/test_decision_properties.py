"""Properties of the closed grammar, on top of the phrase suite.

Each property is written to fail under the mistake it guards against, and was tried
against that mistake by hand (benchmarks/mutation.py measures the rest): a line from a
bad category anywhere around a plain yes — on its line, above it, below it, between or
after field lines — keeps it from being recorded; text a reader sees as the same reads
the same, whatever invisible characters or compatibility forms it is written with; a
likely reading is never given for a reply that was read as a decision.
"""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.reading import decide
from mailflow.reading.likely import likely
from mailflow.reading.normalize import _INVISIBLE, mixed_script_words, normalize_line
from mailflow.workflow.definition import load_workflow
from mailflow.workflow.fields import FieldError, read_value
from tests.phrase_suite import load_cases, vocabulary

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
# Field lines a reply may carry beside its verb: figures (read whole by their type) and text.
FIELD_LINES = ["Effort: 12", "Cost: USD 9,600", "Timeline: 3 weeks", "Approach: new column"]
# A figure on the verb line itself ("DONE - Effort: 5"): what follows it is its value.
ON_THE_VERB_LINE = ["", " - Effort: 5", ", Effort: 12 person-days", " - Cost: USD 4,800"]
_FIELDS = {
    key: spec
    for name, spec in load_workflow().fields.items()
    for key in (name.lower(), spec.label.lower())
}


def _recorded(text: str) -> bool:
    """Whether the reply would be recorded as a yes: read as an affirmative decision
    whose fields are each read whole by their type (a figure with words after it is
    refused, and the reply asked back)."""
    read = decide.read(text, WORDS)
    if not isinstance(read, decide.Decision) or read.verb not in AFFIRMATIVE:
        return False
    for key, raw in read.fields.items():
        spec = _FIELDS.get(key)
        if spec is None:
            continue
        try:
            read_value(spec, raw)
        except FieldError:
            return False
    return True


def test_the_parts_the_properties_combine_are_recorded_alone() -> None:
    """The properties below mean something only if a plain yes, with the field lines
    and verb-line figures they add, is recorded when no bad line is beside it."""
    for plain in PLAIN_YES:
        assert _recorded(plain), plain
        assert _recorded("\n".join([plain, *_others(plain)])), plain
    for verb in ("Approved", "DONE", "Signed off"):
        for figure in ON_THE_VERB_LINE:
            assert _recorded(verb + figure), verb + figure


def _others(plain: str) -> list[str]:
    """The field lines a plain yes does not give already: one field given twice with two
    values is asked back, which test_a_field_given_twice_is_asked_back shows."""
    return [f for f in FIELD_LINES if f"{f.partition(':')[0]}:" not in plain]


def test_a_field_given_twice_is_asked_back() -> None:
    assert not _recorded("DONE - Effort: 5\nEffort: 12")
    assert _recorded("DONE - Effort: 12\nEffort: 12")


def _on_its_line(plain: str, bad: str, sep: str, figure: str) -> list[str]:
    """The plain yes with a figure added to its verb line (unless it has a field there
    already), and the bad line after that and before the verb."""
    first, *rest = plain.split("\n")
    first += "" if ":" in first else figure
    return ["\n".join([line, *rest]) for line in (f"{first}{sep}{bad}", f"{bad}{sep}{first}")]


@settings(max_examples=800, deadline=None)
@given(
    st.sampled_from(PLAIN_YES),
    st.sampled_from(BAD),
    st.sampled_from(SEPARATORS),
    st.sampled_from(ON_THE_VERB_LINE),
)
def test_a_bad_line_beside_a_plain_yes_on_its_line_never_affirms(
    plain: str, bad: str, sep: str, figure: str
) -> None:
    """Before the verb or after it, on the verb's own line; also on a line that carries
    a figure ("DONE - Effort: 5"), where the words after it become the figure's value,
    which its type reads whole or refuses."""
    for text in _on_its_line(plain, bad, sep, figure):
        assert not _recorded(text), text


@pytest.mark.parametrize(
    ("plain", "bad", "sep", "figure"),
    [
        ("Approved!", "not approved", ", ", ", Effort: 12 person-days"),
        ("APPROVED!!!", "**not** approved", " - ", ", Effort: 12 person-days"),
        ("DONE\nEffort: 12", "Approval withheld", " ", " - Effort: 5"),
    ],
)
def test_known_holes_on_the_verb_line(plain: str, bad: str, sep: str, figure: str) -> None:
    assert not any(_recorded(text) for text in _on_its_line(plain, bad, sep, figure))


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(PLAIN_YES),
    st.sampled_from(BAD),
    st.lists(st.sampled_from(FIELD_LINES), max_size=3, unique=True),
    st.booleans(),
)
def test_a_bad_line_above_or_below_a_plain_yes_never_affirms(
    plain: str, bad: str, fields: list[str], blank: bool
) -> None:
    """Every line position: above the verb, right under it, between field lines, after
    them, after a blank line. No list of conditions is consulted: any line from a bad
    category takes the yes back."""
    lines = [*plain.split("\n"), *fields]
    inserted = ["", bad] if blank else [bad]
    for at in range(len(lines) + 1):
        text = "\n".join([*lines[:at], *inserted, *lines[at:]])
        assert not _recorded(text), text


INVISIBLES = [chr(c) for c in (0x200B, 0x200C, 0x200D, 0x2060, 0x00AD, 0xFEFF, 0x202E, 0x2066)]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(BAD), st.sampled_from(INVISIBLES), st.integers(0, 200))
def test_invisible_characters_never_turn_a_bad_line_into_a_yes(bad, mark, at) -> None:
    at %= len(bad) + 1
    assert not _recorded(bad[:at] + mark + bad[at:])


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
    assert not _recorded(disguised), disguised


# Characters a mail client shows as nothing, bidi controls aside (a line holding one is
# never read at all): format characters, variation selectors, the Hangul fillers.
HIDDEN = [
    chr(c)
    for c in range(sys.maxunicode + 1)
    if (unicodedata.category(chr(c)) == "Cf" or 0xFE00 <= c <= 0xFE0F or c in (0x115F, 0x3164))
    and not (0x202A <= c <= 0x202E or 0x2066 <= c <= 0x2069)
]


def _reading(text: str) -> tuple[str, str]:
    read = decide.read(text, WORDS)
    if isinstance(read, decide.Decision):
        return "decision", read.verb
    return "unclear", read.kind.name


_ENTITY = re.compile(r"&#?\w+;")


def _disguise(text: str, hidden: list[tuple[int, str]], wide: list[int]) -> str:
    """The text with characters no reader sees inserted and some letters written in
    their fullwidth compatibility forms (Ａ for A); field lines, whose keys are matched
    as written, and HTML entities, which a reader never sees as written, stay as they are."""
    chars = list(text)
    kept = {i for m in _ENTITY.finditer(text) for i in range(m.start(), m.end() + 1)}
    start = 0
    for line in text.split("\n"):
        if ":" in line:
            kept |= set(range(start, start + len(line) + 1))
        start += len(line) + 1
    letters = [i for i, ch in enumerate(chars) if ch.isascii() and ch.isalpha() and i not in kept]
    for n in wide:
        if letters:
            i = letters[n % len(letters)]
            chars[i] = chr(ord(chars[i]) + 0xFEE0) if chars[i].isascii() else chars[i]
    for spot, mark in sorted(((at % (len(text) + 1), mark) for at, mark in hidden), reverse=True):
        blank_line = 0 < spot < len(chars) and chars[spot - 1] == "\n" == chars[spot]
        if not blank_line and (spot == 0 or spot not in kept):
            chars.insert(spot, mark)
    return "".join(chars)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from([c.text for c in CASES]),
    st.lists(st.tuples(st.integers(0, 400), st.sampled_from(HIDDEN)), max_size=4),
    st.lists(st.integers(0, 400), max_size=6),
)
def test_what_a_reader_sees_as_the_same_reads_the_same(
    text: str, hidden: list[tuple[int, str]], wide: list[int]
) -> None:
    """Normalising is what makes "Appro\\u200bved" and "ＡＰＰＲＯＶＥＤ" read as written
    for the eye, in both directions: neither hides a yes nor a no from the reader."""
    assert _reading(_disguise(text, hidden, wide)) == _reading(text)


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


OTHER_WORDS = sorted({c.text for c in CASES if c.category.startswith("other-words")})
DECIDED = sorted({c.text for c in CASES if c.category == "plain" and c.decision})


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(OTHER_WORDS),
    st.sampled_from(DECIDED),
    st.sampled_from(["\n", "\n\n", ", ", ". "]),
    st.booleans(),
)
def test_a_likely_reading_is_never_given_for_a_decision(
    other: str, plain: str, join: str, other_first: bool
) -> None:
    """likely() is asked for every reply, not only those read() left unclear: a reply
    read as a decision must never also be offered as a likely reading to confirm."""
    text = f"{other}{join}{plain}" if other_first else f"{plain}{join}{other}"
    if isinstance(decide.read(text, WORDS), decide.Decision):
        assert likely(text, WORDS) is None, text


def test_likely_readings_are_only_questions() -> None:
    """Over the phrase suite: a likely reading only where read() found no decision."""
    offered = 0
    for case in CASES:
        probable = likely(case.text, WORDS)
        if probable is not None:
            offered += 1
            assert not isinstance(decide.read(case.text, WORDS), decide.Decision), case.source
    assert offered > 0
