"""Which line of a reply holds its decision: the first with a decision word, or the
first that says more than a greeting or a name.

Reading looks at no more than TEXT_CAP characters of new text, and at no line
longer than LINE_CAP: such a line is handed on with none of its words read, so
that it is asked about.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailflow.reading.normalize import LINE_CAP, normalize_line
from mailflow.reading.tokens import Kind, Piece, pieces
from mailflow.workflow.vocabulary import Vocabulary

TEXT_CAP = 20_000  # characters of new text looked at; a decision is never further down


@dataclass(frozen=True)
class Line:
    """A line of the reply as written and normalised, with its pieces."""

    index: int
    raw: str
    text: str  # normalised
    parts: list[Piece]


def split_lines(text: str) -> list[str]:
    """The lines of the text reading may look at, whatever the line endings."""
    return text[:TEXT_CAP].replace("\r\n", "\n").replace("\r", "\n").split("\n")


def cut_short(lines: list[str]) -> bool:
    """Whether the text went past the cap, so some of it was never read."""
    return sum(len(line) + 1 for line in lines) > TEXT_CAP


def verb_line(lines: list[str], vocabulary: Vocabulary) -> Line | None:
    """The first line holding a decision word; without one, the first that says anything.

    The lines above it are read by the closed rule like those below: "Budget
    permitting," over an "Approved" is a condition, not an address.
    """
    first: Line | None = None
    for index, raw in enumerate(lines):
        if len(raw) > LINE_CAP:
            return first or Line(index, raw, "", [])
        text = normalize_line(raw)
        parts = pieces(text, vocabulary)
        if any(p.kind is Kind.VERB and p.spec is not None for p in parts):
            return Line(index, raw.strip(), text, parts)
        if first is None and parts and not addressing(parts):
            first = Line(index, raw.strip(), text, parts)
    return first


def decision_line(lines: list[str], vocabulary: Vocabulary) -> Line | None:
    """The first line that is more than blank, punctuation, a greeting or a name."""
    for index, raw in enumerate(lines):
        if len(raw) > LINE_CAP:
            return Line(index, raw, "", [])
        text = normalize_line(raw)
        parts = pieces(text, vocabulary)
        if parts and not addressing(parts):
            return Line(index, raw.strip(), text, parts)
    return None


def addressing(parts: list[Piece]) -> bool:
    """A line that only greets or names: listed greetings, configured people's names, and
    whoever a greeting addresses ("Hi Sam,"). Unknown words alone never address anyone."""
    return all(p.kind in (Kind.GREETING, Kind.NAME) for p in parts)
