"""The decision phrase suite: every line gives its expected outcome, and the two safety
targets hold: no affirmative decision where none was given, no likely reading the wrong way."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.phrase_suite import Case, load_cases, outcome, vocabulary

CASES = load_cases()
WORDS = vocabulary()
AFFIRMATIVE = {v.verb for v in WORDS.verbs if v.affirmative}
NEGATIVE = {v.verb for v in WORDS.verbs if not v.affirmative}


def test_the_suite_is_large_and_covers_every_category() -> None:
    counts = Counter(c.category for c in CASES)
    assert len(CASES) >= 300
    assert set(counts) >= {
        "plain", "greetings-names-politeness", "conditional", "partial-scoped",
        "reported-third-party", "counterfactual-modal-future", "questions", "negation",
        "contradiction", "disguise", "html-hidden", "other-words-approve",
        "other-words-reject", "remarks", "other-languages",
    }  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.category}:{c.source[:40]}")
def test_each_line_gives_its_outcome(case: Case) -> None:
    assert outcome(case.text, WORDS) == case.expected, case.source


def test_no_affirmative_decision_that_was_not_given() -> None:
    wrong = [
        (c.source, got)
        for c in CASES
        if (got := outcome(c.text, WORDS)) in AFFIRMATIVE and got != c.decision
    ]
    assert wrong == []


def test_no_likely_reading_points_the_wrong_way() -> None:
    def direction(verb: str) -> bool:
        return verb in AFFIRMATIVE

    wrong = []
    for c in CASES:
        got = outcome(c.text, WORDS)
        if not got.startswith("?") or got == "?":
            continue
        meant = c.expected.lstrip("?")
        if not meant or direction(meant) != direction(got[1:]):
            wrong.append((c.source, c.expected, got))
    assert wrong == []
