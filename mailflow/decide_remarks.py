"""The remarks around a yes: other sentences of its line and the lines below it.

A remark may say anything except what could change or take back the yes: a listed
condition or retraction, a negation, a negative verb or its everyday words ("No."),
a word about the decision itself ("Approval withheld"), a question, a figure (an
amount or a date may be a condition in disguise), or text that reorders or mixes
alphabets. The sentence holding the yes is read by the closed rule in decide.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mailflow.decide_lines import fields_of
from mailflow.decide_normalize import LINE_CAP, mixed_script_words, normalize_line, reorders
from mailflow.decide_tokens import Kind, phrase_words, pieces, tokens
from mailflow.workflow.vocabulary import Vocabulary

_BELOW = 5  # lines under a yes that may still take it back

PlainYes = Callable[[str, Vocabulary], bool]


def taken_back(
    following: list[str], vocabulary: Vocabulary, plain_yes: PlainYes
) -> tuple[str, str] | None:
    """A condition in the few lines under a yes ("Approved.\\nOnly for phase 1.")."""
    watch = phrase_set(vocabulary.conditions + vocabulary.retractions) | phrase_set(
        tuple(n for n in vocabulary.negations if n != "no")
    )
    seen = 0
    for raw in following:
        if len(raw) > LINE_CAP:
            return "a very long line", raw[:LINE_CAP]
        if reorders(raw):
            return "characters that reorder the line", raw.strip()
        text = normalize_line(raw)
        if not text:
            continue
        if fields_of([text]) and _field_key(text) in vocabulary.field_names:
            break
        seen += 1
        if seen > _BELOW:
            break
        words = [t.word for t in tokens(text)]
        hit = (
            ("?" if "?" in text else None)
            or next(iter(mixed_script_words(text)), None)
            or _against(text, vocabulary, plain_yes)
            or first_phrase(words, watch)
            or next((w for w in words if w.endswith("n't")), None)
            or next((w for w in words if _FIGURE.search(w)), None)
        )
        if hit:
            return hit, raw.strip()
    return None


def _against(text: str, vocabulary: Vocabulary, plain_yes: PlainYes) -> str | None:
    """A decision word in a remark that is not itself a plain yes: a negative verb or its
    everyday words ("No.", "Rejected", "👎"), or a yes in other hands ("About to approve")."""
    found = pieces(text, vocabulary)
    clean = plain_yes(text, vocabulary)
    stem = next((t.word for t in tokens(text) if t.word.startswith(vocabulary.stems)), None)
    if stem is not None and not clean:
        return stem
    for piece in found:
        if piece.kind is Kind.LIKELY and piece.spec and not piece.spec.affirmative:
            return piece.text
    verb = next((p for p in found if p.kind is Kind.VERB and p.spec), None)
    if verb is not None and not clean:
        return verb.text
    if verb is not None and verb.spec and not verb.spec.affirmative:
        return verb.text
    return None


# A figure in a remark (an amount, a date, a phase) may be a condition in disguise.
_FIGURE = re.compile(r"\d|[$€£¥%]")


def _field_key(text: str) -> str:
    return " ".join(phrase_words(text.split(":", 1)[0]))


def phrase_set(phrases: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {w for w in (phrase_words(p) for p in phrases) if w}


def first_phrase(words: list[str], phrases: set[tuple[str, ...]]) -> str | None:
    longest = max((len(p) for p in phrases), default=0)
    for i in range(len(words)):
        for n in range(min(longest, len(words) - i), 0, -1):
            if tuple(words[i : i + n]) in phrases:
                return " ".join(words[i : i + n])
    return None
