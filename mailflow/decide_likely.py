"""Replies in other words ("go ahead", "No objection", "👎"): which verb they probably mean.

Never a decision: the caller asks the sender to confirm. Any doubt gives None.
"""

from __future__ import annotations

from mailflow.decide import Decision, _decision_line, _lines, read
from mailflow.decide_normalize import LINE_CAP, mixed_script_words, normalize_line
from mailflow.decide_remarks import first_phrase, phrase_set
from mailflow.decide_tokens import Kind, pieces, tokens
from mailflow.workflow.vocabulary import Vocabulary

_LIKELY_SCOPE = 4  # lines below the first one that can still take the "ok" back


def likely(text: str, vocabulary: Vocabulary) -> str | None:
    """The verb a reply probably means in other words ("go ahead", "OK", "👍"), or None.

    Real approvers rarely write the keyword, so these replies must not be
    ignored; but they are not clear enough to record either. The caller asks
    the sender to confirm. Any doubt gives None: a keyword on the line, everyday
    words of two different verbs, a negation outside the everyday phrase, a
    question mark, a condition or a doubt in the first lines.
    """
    if isinstance(read(text, vocabulary), Decision):
        return None
    lines = _lines(text)
    found = _decision_line(lines, vocabulary)
    if found is None or not found.text or mixed_script_words(found.text):
        return None
    parts = found.parts
    meant = {p.spec.verb for p in parts if p.kind is Kind.LIKELY and p.spec is not None}
    if len(meant) != 1 or any(p.kind in (Kind.VERB, Kind.QUESTION, Kind.NEGATION) for p in parts):
        return None
    verb = meant.pop()
    doubtful = phrase_set(vocabulary.conditions + vocabulary.doubts)
    rest = [t.word for p in parts if p.kind is Kind.UNKNOWN for t in tokens(p.text)]
    if first_phrase(rest, doubtful) or any(w.endswith("n't") for w in rest):
        return None
    following = [line for line in lines[found.index + 1 :] if line.strip()][:_LIKELY_SCOPE]
    for raw in following:
        below = pieces(normalize_line(raw[:LINE_CAP]), vocabulary)
        words = [t.word for p in below for t in tokens(p.text)]
        if first_phrase(words, doubtful) or any(
            p.kind in (Kind.QUESTION, Kind.NEGATION)
            or (p.kind in (Kind.VERB, Kind.LIKELY) and p.spec is not None and p.spec.verb != verb)
            for p in below
        ):
            return None
    return verb
