"""How a yes is read: the closed rule, for the sentence holding the verb and for every
other sentence of the reply.

A false approval is the worst error mailflow can make, so an affirmative verb counts
only when its sentence holds the verb and otherwise only words known to add nothing
(and a known field), and every other sentence is on the closed lists of sentences.py
or a remark the sender confirmed before. Apart from decide.py, which reads plain and
negative verbs (with a reason) and sends a yes here: the rules for a yes are the
longest and the ones a reviewer must read whole.
"""

from __future__ import annotations

import re

from mailflow.reading.decision_line import Line, cut_short
from mailflow.reading.line_results import QUIET, decision_of, not_plain, quote, unclear
from mailflow.reading.lines import fields_of
from mailflow.reading.normalize import LINE_CAP
from mailflow.reading.sentences import Finding, Verdict, first_doubt, near_field
from mailflow.reading.tokens import QUIET_MARKS, Kind, Piece, phrase_set, phrase_words
from mailflow.reading.verdict import Decision, Known, Unclear, UnclearKind
from mailflow.workflow.vocabulary import VerbSpec, Vocabulary


def read(
    found: Line,
    lines: list[str],
    first: Piece,
    spec: VerbSpec,
    vocabulary: Vocabulary,
    known: Known,
) -> Decision | Unclear:
    """The closed rule, for the verb's sentence and for every other sentence of the reply.

    The sentence holding the verb may hold only words known to add nothing (and a
    known field); a request ("Please approve") is never a decision. Every other
    sentence, above or below and on the same line, must be on the closed lists of
    sentences.py, or a remark this sender confirmed before.
    """
    start, end = _sentence(found.text, first)
    inside = [p for p in found.parts if start <= p.start < end]
    parts, own_fields = _split_field(found, first, vocabulary, inside)
    extra = [p for p in parts if p.kind is not Kind.VERB and not _adds_nothing(p)]
    if extra:
        return not_plain(found, spec, first, extra)
    request = _request(found, first, vocabulary)
    if request is not None:
        return request
    opener = next(
        (p for p in inside if p.end <= first.start and p.kind not in (Kind.GREETING, Kind.NAME)),
        None,
    )
    if opener is not None and phrase_words(opener.text)[:1] in {
        (w,) for w in vocabulary.question_openers
    }:
        why = f"{quote(found.raw)} reads as a question, so {spec.verb} was not recorded."
        return unclear(found, UnclearKind.QUESTION, why)
    above, below = lines[: found.index], lines[found.index + 1 :]
    given = (fields_of(above), own_fields, fields_of(below))
    twice = _given_twice(given)
    if twice is not None:
        why = (
            f"'{twice.capitalize()}' is given twice with different values, so {spec.verb} "
            f"was not recorded. Reply {spec.verb} with each detail once."
        )
        return unclear(found, UnclearKind.MORE_THAN_A_DECISION, why)
    fields = {k: v for part in given for k, v in part.items()}
    as_written = decision_of(found, spec.verb, "", fields, "closed grammar")
    if cut_short(lines):
        why = f"The reply is too long to read whole, so {spec.verb} was not recorded."
        return unclear(found, UnclearKind.TOO_LONG, why)
    around = [found.text[:start], found.text[end:], *above, *below]
    doubt = first_doubt(around, spec, vocabulary, known.remarks)
    if doubt is None:
        return as_written
    return _doubted(found, spec, doubt, as_written, vocabulary)


def _given_twice(given: tuple[dict[str, str], ...]) -> str | None:
    """A field written in two places with two values: which one was meant is a guess."""
    seen: dict[str, str] = {}
    for part in given:
        for key, value in part.items():
            if seen.setdefault(key, value).strip() != value.strip():
                return key
    return None


def _doubted(
    found: Line, spec: VerbSpec, doubt: Finding, as_written: Decision, vocabulary: Vocabulary
) -> Unclear:
    """The question back for a sentence off the lists, quoting it."""
    verb, quoted = spec.verb, quote(doubt.sentence)
    if doubt.verdict is Verdict.NEAR_FIELD:
        name = near_field(" ".join(phrase_words(doubt.field)), vocabulary) or ""
        value = doubt.sentence.partition(":")[2].strip()
        why = (
            f"{quoted} is not a detail this step takes, so {verb} was not recorded. "
            f"Did you mean '{name}: {value}'? If so, reply {verb} with that line."
        )
        return unclear(found, UnclearKind.FIELD_NAME, why)
    if doubt.verdict is Verdict.REMARK:
        why = (
            f"You replied {verb} and also wrote {quoted}. That may change what {verb} "
            f"means, so nothing was recorded yet. If {verb} stands as written, reply "
            f"CONFIRM and it is recorded with your remark; otherwise reply with just "
            f"the decision you mean."
        )
        return Unclear(why, found.raw[:LINE_CAP], UnclearKind.REMARK, found.text,
                       doubt.sentence, as_written)  # fmt: skip
    why = (
        f"{quoted} may change or take back {verb}, so it was not recorded. If {verb} is "
        f"your whole answer, reply with just {verb}."
    )
    return unclear(found, UnclearKind.TAKEN_BACK_BELOW, why)


def _request(found: Line, first: Piece, vocabulary: Vocabulary) -> Unclear | None:
    """ "Please approve", "Kindly approve": asking for the decision is not giving it."""
    before = [p for p in found.parts if p.end <= first.start]
    if not before or phrase_words(before[-1].text) not in phrase_set(vocabulary.requests):
        return None
    why = (
        f"{quote(found.raw)} asks for {first.spec.verb if first.spec else 'a decision'} "
        "rather than giving it, so nothing was recorded. If that is your decision, reply "
        f"with just {first.spec.verb if first.spec else 'the decision word'}."
    )
    return unclear(found, UnclearKind.REQUEST, why)


_SENTENCE_END = re.compile(r"(?<![.!?;。])[.!?;。]+\s+(?=\S)")


def _sentence(text: str, verb: Piece) -> tuple[int, int]:
    """Where the sentence holding the verb starts and ends on its line."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() <= verb.start:
            start = match.end()
        elif match.start() >= verb.end:
            return start, match.start()
    return start, len(text)


def _adds_nothing(piece: Piece) -> bool:
    if piece.kind in QUIET or piece.kind is Kind.REMARK:
        return True
    return piece.kind is Kind.LIKELY and piece.spec is not None and piece.spec.affirmative


def _split_field(
    found: Line, first: Piece, vocabulary: Vocabulary, parts: list[Piece]
) -> tuple[list[Piece], dict[str, str]]:
    """A known field after the verb on its line ("DONE - Effort: 5") is data, not words."""
    after = found.text[first.end :]
    key, colon, _ = after.partition(":")
    if not colon or " ".join(phrase_words(key)) not in vocabulary.field_names:
        return parts, {}
    key_start = first.end + len(key) - len(key.lstrip("".join(QUIET_MARKS) + " \t"))
    fields = fields_of([found.text[key_start:].strip()])
    if not fields:  # not a field line after all: every word stays to be judged
        return parts, {}
    return [p for p in parts if p.start < key_start], fields
