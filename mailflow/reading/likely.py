"""Replies in other words ("go ahead", "No objection", "👎"): which verb they probably mean.

Never a decision: the caller asks the sender to confirm. The same closed rule as
for a yes applies: the line may hold only the everyday words of one verb and
words known to add nothing, and every other sentence must be on the closed lists.
Anything else, and the reply is a plain question back instead.
"""

from __future__ import annotations

from mailflow.reading.decide import read
from mailflow.reading.decision_line import decision_line, split_lines
from mailflow.reading.normalize import LINE_CAP, mixed_script_words, normalize_line
from mailflow.reading.sentences import first_doubt
from mailflow.reading.tokens import Kind, Piece, pieces
from mailflow.reading.verdict import Decision, Known
from mailflow.workflow.vocabulary import VerbSpec, Vocabulary

_BESIDE = frozenset({Kind.GREETING, Kind.HARMLESS, Kind.NAME, Kind.REMARK})


def likely(text: str, vocabulary: Vocabulary, known: Known | None = None) -> str | None:
    """The verb a reply probably means in other words ("go ahead", "OK", "👍"), or None.

    Real approvers rarely write the keyword, so these replies must not be ignored;
    but they are not clear enough to record either. The caller asks the sender to
    confirm.
    """
    known = known or Known()
    if isinstance(read(text, vocabulary, known), Decision):
        return None
    lines = split_lines(text)
    found = decision_line(lines, vocabulary)
    if found is None or not found.text or mixed_script_words(found.text):
        return None
    specs = {p.spec for p in found.parts if p.kind is Kind.LIKELY and p.spec is not None}
    if len(specs) != 1:
        return None
    spec = specs.pop()
    if not spec.affirmative:
        return spec.verb if _only_against(lines, found.parts, spec, vocabulary) else None
    if not all(
        p.kind in _BESIDE or (p.kind is Kind.LIKELY and p.spec is spec) for p in found.parts
    ):
        return None
    rest = [*lines[: found.index], *lines[found.index + 1 :]]
    if first_doubt(rest, spec, vocabulary, known.remarks) is not None:
        return None
    return spec.verb


def _only_against(
    lines: list[str], line_parts: list[Piece], spec: VerbSpec, vocabulary: Vocabulary
) -> bool:
    """Everyday words of a no ("No thanks, not at this price"): the rest is its reason, as
    with REJECTED itself, so only another decision anywhere, or a question, stands
    against it."""
    if any(p.kind is Kind.QUESTION for p in line_parts):
        return False
    for raw in lines:
        for piece in pieces(normalize_line(raw[:LINE_CAP]), vocabulary):
            other = piece.spec is not None and piece.spec.verb != spec.verb
            if piece.kind in (Kind.VERB, Kind.LIKELY) and other:
                return False
    return True
