"""The new text of a reply → a Decision (verb, reason text, fields) or Unclear.

A false approval is the worst error mailflow can make, so a yes is read by a
closed grammar: an affirmative verb counts only when its line holds the verb's
phrase and otherwise only words known to add nothing (greetings, thanks, names,
harmless words, listed remarks, the verb's own everyday phrases). Any other word
— a condition, a scope, someone else's decision, a question mark — makes the
reply a question back. A list of dangerous words is never complete; a list of
safe ones is. The text is first normalised as a reader sees it, and reading
looks at a bounded amount of it, in time linear in its length.

This module finds the decision line, puts it to the checks every line must pass, and
reads plain and negative verbs; a yes is read by affirmative.py, and line_results.py
words what either gives.
"""

from __future__ import annotations

from collections.abc import Callable

from mailflow.reading import affirmative
from mailflow.reading.decision_line import TEXT_CAP, Line, split_lines, verb_line
from mailflow.reading.line_results import QUIET, decision_of, not_plain, quote, unclear
from mailflow.reading.lines import fields_of, trailing_text
from mailflow.reading.normalize import LINE_CAP, mixed_script_words, reorders
from mailflow.reading.tokens import Kind, Piece, first_phrase, phrase_set, tokens
from mailflow.reading.verdict import (
    NOTHING_KNOWN,
    Decision,
    Known,
    Unclear,
    UnclearKind,
    remark_key,
)
from mailflow.workflow.vocabulary import VerbSpec, Vocabulary

__all__ = [
    "NOTHING_KNOWN",
    "TEXT_CAP",
    "Decision",
    "Known",
    "Unclear",
    "UnclearKind",
    "VerbSpec",
    "Vocabulary",
    "read",
    "remark_key",
]


def read(text: str, vocabulary: Vocabulary, known: Known = NOTHING_KNOWN) -> Decision | Unclear:
    """Read the decision in the new text of a reply.

    The caller has already removed quoted history and signatures
    (reply_text.new_text). Only the first line that is more than a greeting can
    carry the verb; "Key: value" lines anywhere in the text become fields. The
    line is first put to the checks of _LINE_CHECKS, in order; then its first verb
    says which grammar reads it.
    """
    lines = split_lines(text)
    found = verb_line(lines, vocabulary)
    if found is None:
        no_text = "The reply has no new text above the quoted message."
        return Unclear(no_text, "", UnclearKind.NO_TEXT)
    for check in _LINE_CHECKS:
        refused = check(found)
        if refused is not None:
            return refused
    verbs = [p for p in found.parts if p.kind is Kind.VERB and p.spec is not None]
    first, spec = verbs[0], verbs[0].spec
    assert spec is not None
    if spec.takes_text and not spec.affirmative:
        return _with_text(found, lines, first, spec, vocabulary)
    kinds = list(dict.fromkeys(v.spec.verb for v in verbs if v.spec is not None))
    if len(kinds) > 1:
        both = " and ".join(kinds) if len(kinds) == 2 else ", ".join(kinds)
        return unclear(found, UnclearKind.BOTH, f"Both {both} were found in: {quote(found.raw)}")
    if not spec.affirmative:
        return _plain_verb(found, lines, first, spec)
    return affirmative.read(found, lines, first, spec, vocabulary, known)


def _too_long(found: Line) -> Unclear | None:
    if len(found.raw) <= LINE_CAP:
        return None
    why = f"The first line is longer than {LINE_CAP:,} characters, so no decision was read from it."
    return unclear(found, UnclearKind.TOO_LONG, why)


def _reordered(found: Line) -> Unclear | None:
    if not reorders(found.raw):
        return None
    why = "The line holds characters that change the order in which it is shown, so it "
    return unclear(found, UnclearKind.DISGUISED, f"{why}cannot be read safely: {quote(found.raw)}")


def _mixed_alphabets(found: Line) -> Unclear | None:
    mixed = mixed_script_words(found.text)
    if not mixed:
        return None
    why = f"'{mixed[0]}' mixes letters of different alphabets, so the line cannot be read safely"
    return unclear(found, UnclearKind.DISGUISED, f"{why}: {quote(found.raw)}")


def _no_verb(found: Line) -> Unclear | None:
    if any(p.kind is Kind.VERB and p.spec is not None for p in found.parts):
        return None
    why = f"No decision word was found in: {quote(found.raw)}"
    return unclear(found, UnclearKind.NO_DECISION, why)


# What makes a decision line unreadable before any grammar applies, in order.
_LINE_CHECKS: tuple[Callable[[Line], Unclear | None], ...] = (
    _too_long,
    _reordered,
    _mixed_alphabets,
    _no_verb,
)


def _plain_verb(found: Line, lines: list[str], first: Piece, spec: VerbSpec) -> Decision | Unclear:
    """A verb that neither says yes nor takes a reason ("NOT CR", "RESUME")."""
    bad = [p for p in found.parts if p.end <= first.start and p.kind not in QUIET]
    if bad:
        return not_plain(found, spec, first, bad)
    rest = found.text[first.end :]
    fields = {**fields_of([rest.strip(" \t:-–—,.;")]), **fields_of(lines[found.index + 1 :])}
    return decision_of(found, spec.verb, "", fields, "verb")


def _with_text(
    found: Line, lines: list[str], first: Piece, spec: VerbSpec, vocabulary: Vocabulary
) -> Decision | Unclear:
    """A negative verb with its reason: what precedes it must still be only a greeting."""
    bad = [p for p in found.parts if p.end <= first.start and p.kind not in QUIET]
    if bad:
        return not_plain(found, spec, first, bad)
    rest = found.text[first.end :]
    taken_back = first_phrase([t.word for t in tokens(rest)], phrase_set(vocabulary.retractions))
    if taken_back:
        return unclear(
            found,
            UnclearKind.TAKEN_BACK_BELOW,
            f"'{taken_back}' may take back {spec.verb}, so it was not recorded: "
            f"{quote(found.raw)}. Reply with {spec.verb} and your reason, or with the "
            "decision you mean.",
        )
    reason = trailing_text(rest, lines[found.index + 1 :])
    return decision_of(found, spec.verb, reason, fields_of(lines[found.index + 1 :]), "verb")
