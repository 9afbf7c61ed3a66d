"""What reading a decision line gives: the Decision as read from it, or the question
back that quotes it and says why, in the sender's own words.

Apart from the grammars (decide.py for plain and negative verbs, affirmative.py for a
yes) because both end the same way: one wording for "more than the decision", a
question or a negation, and one shape for what they record.
"""

from __future__ import annotations

from types import MappingProxyType

from mailflow.reading.decision_line import Line
from mailflow.reading.normalize import LINE_CAP
from mailflow.reading.tokens import Kind, Piece
from mailflow.reading.verdict import Decision, Unclear, UnclearKind
from mailflow.workflow.vocabulary import VerbSpec

# Words that may stand before a verb on its line and add nothing to it.
QUIET = frozenset({Kind.GREETING, Kind.HARMLESS, Kind.NAME})


def not_plain(found: Line, spec: VerbSpec, first: Piece, extra: list[Piece]) -> Unclear:
    """The question back for a verb with other words beside it: which words, and why."""
    verb, phrase = spec.verb, first.text
    if any(p.kind is Kind.QUESTION for p in extra) or found.text.rstrip().endswith("?"):
        return unclear(
            found,
            UnclearKind.QUESTION,
            f"'{phrase}' reads as a question, so it was not taken as {verb}: {quote(found.raw)}",
        )
    negation = next((p for p in extra if p.kind is Kind.NEGATION), None)
    if negation is not None:
        return unclear(
            found,
            UnclearKind.NEGATION,
            f"'{negation.text}' is a negation, so '{phrase}' was not read as {verb}; "
            "please answer with just the decision word, in: "
            f"{quote(found.raw)}",
        )
    said = found.text[extra[0].start : extra[-1].end]
    words = said if len(said) <= 80 else said[:77] + "..."
    return unclear(
        found,
        UnclearKind.MORE_THAN_A_DECISION,
        f"Besides {verb}, your line says '{words}', which may add a condition or a limit, "
        f"so {verb} was not recorded: {quote(found.raw)}. If {verb} is your whole answer, "
        f"reply with just {verb}.",
    )


def decision_of(found: Line, verb: str, text: str, fields: dict[str, str], rule: str) -> Decision:
    """The decision read from the line, with the rule that read it."""
    return Decision(verb, text, MappingProxyType(fields), found.raw, found.text, rule)


def unclear(found: Line, kind: UnclearKind, reason: str) -> Unclear:
    """A question back about the line, quoting at most LINE_CAP characters of it."""
    return Unclear(reason, found.raw[:LINE_CAP], kind, found.text)


def quote(line: str) -> str:
    """The line in quotes, cut to 120 characters."""
    shown = line if len(line) <= 120 else line[:117] + "..."
    return f"'{shown}'"
